//! How one event turns into billable units: 512 KB HTTP increments, 32 KB WebSocket message
//! increments, REST streaming increments and connection minutes.
//!
//! These are per-event functions; the analytics crate sums their results into a [`crate::Usage`]
//! and [`crate::bill_month`] prices the month.

use crate::MeteringBasis;

/// How many increments of `increment_bytes` a payload of `bytes` is metered as:
/// `max(1, ceil(bytes / increment_bytes))`.
///
/// An empty payload still counts once (AWS bills the request, not the bytes). An
/// `increment_bytes` of zero means "no increments": every payload counts once. A validated price
/// book never has one, but this function must not divide by zero for any input.
pub fn increments(bytes: u64, increment_bytes: u64) -> u64 {
    if increment_bytes == 0 {
        return 1;
    }
    bytes.div_ceil(increment_bytes).max(1)
}

/// The data an HTTP API request processed under `basis`, in bytes.
pub fn metered_bytes(request_bytes: u64, response_bytes: u64, basis: MeteringBasis) -> u64 {
    match basis {
        MeteringBasis::Sum => request_bytes.saturating_add(response_bytes),
        MeteringBasis::Max => request_bytes.max(response_bytes),
        MeteringBasis::Request => request_bytes,
        MeteringBasis::Response => response_bytes,
    }
}

/// HTTP API units of one request.
///
/// When the log line carries `dataProcessed` (HTTP API's own count of the data it processed) that
/// value is used as is, whatever `basis` says: it is the gateway's own number. Otherwise the bytes
/// come from the bodies as `basis` chooses.
pub fn http_units(
    request_bytes: u64,
    response_bytes: u64,
    data_processed: Option<u64>,
    basis: MeteringBasis,
    increment_bytes: u64,
) -> u64 {
    let bytes =
        data_processed.unwrap_or_else(|| metered_bytes(request_bytes, response_bytes, basis));
    increments(bytes, increment_bytes)
}

/// REST API units of one request: one, unless the price book meters streamed responses in
/// increments (`streaming_increment_bytes` is `Some`, AWS's 10 MB for response streaming).
pub fn rest_units(response_bytes: u64, streaming_increment_bytes: Option<u64>) -> u64 {
    streaming_increment_bytes.map_or(1, |inc| increments(response_bytes, inc))
}

/// WebSocket units of one message (32 KB increments, both directions).
///
/// Real API Gateway WebSocket access logs carry no message size: a message of unknown size
/// (`None`) counts as one unit, and callers report how many sizes were unknown.
pub fn ws_message_units(message_bytes: Option<u64>, increment_bytes: u64) -> u64 {
    message_bytes.map_or(1, |bytes| increments(bytes, increment_bytes))
}

/// Billed connection minutes of one WebSocket connection: its duration rounded up to whole
/// minutes, at least 1.
///
/// A zero or negative duration (clock skew, or connect and disconnect logged in the same
/// millisecond) still bills one minute, as any connection that existed does.
pub fn connection_minutes(connected_at_ms: i64, ended_at_ms: i64) -> u64 {
    const MINUTE_MS: i128 = 60_000;
    let duration_ms = i128::from(ended_at_ms) - i128::from(connected_at_ms);
    if duration_ms <= 0 {
        return 1;
    }
    let minutes = (duration_ms + MINUTE_MS - 1) / MINUTE_MS;
    u64::try_from(minutes).unwrap_or(u64::MAX).max(1)
}

/// What one REQUEST event is billed as, on both API types: the one billing rule of a request,
/// used by the analyzer's tally, the sidecar's metrics and `gwcost quote` alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestUnits {
    /// The bytes HTTP API meters (`dataProcessed` when logged, else the bodies by basis).
    pub metered_bytes: u64,
    /// HTTP API units (512 KB increments of `metered_bytes`).
    pub http: u64,
    /// REST API units (one, or streaming increments of the response when the book says so).
    pub rest: u64,
}

impl crate::PriceBook {
    /// The units of one request under this book. `basis` overrides the book's metering basis
    /// (`--metering-basis`); `data_processed` (HTTP API's own count) wins over any basis.
    pub fn request_units(
        &self,
        request_bytes: u64,
        response_bytes: u64,
        data_processed: Option<u64>,
        basis: Option<MeteringBasis>,
    ) -> RequestUnits {
        let basis = basis.unwrap_or(self.http_api.metering_basis);
        let metered_bytes =
            data_processed.unwrap_or_else(|| metered_bytes(request_bytes, response_bytes, basis));
        RequestUnits {
            metered_bytes,
            http: increments(metered_bytes, self.http_api.increment_bytes),
            rest: rest_units(response_bytes, self.rest_api.streaming_increment_bytes),
        }
    }

    /// The units of one WebSocket message under this book (unknown size: one unit).
    pub fn message_units(&self, message_bytes: Option<u64>) -> u64 {
        ws_message_units(message_bytes, self.websocket.message_increment_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KB: u64 = 1024;
    const HTTP_INC: u64 = 512 * KB;

    #[test]
    fn increments_round_up_and_count_empty_payloads_once() {
        assert_eq!(increments(0, HTTP_INC), 1);
        assert_eq!(increments(1, HTTP_INC), 1);
        assert_eq!(increments(HTTP_INC, HTTP_INC), 1);
        assert_eq!(increments(HTTP_INC + 1, HTTP_INC), 2);
        assert_eq!(increments(u64::MAX, HTTP_INC), u64::MAX / HTTP_INC + 1);
    }

    #[test]
    fn zero_increment_counts_every_payload_once() {
        assert_eq!(increments(10 * HTTP_INC, 0), 1);
    }

    // A request body over one increment (2 units alone) and a response body over two (3 alone),
    // so each basis gives a different count.
    const REQ: u64 = HTTP_INC + 1;
    const RESP: u64 = 2 * HTTP_INC + 1;

    #[test]
    fn sum_basis_meters_request_plus_response() {
        // 3 * 512 KB + 2 bytes -> 4 increments.
        assert_eq!(http_units(REQ, RESP, None, MeteringBasis::Sum, HTTP_INC), 4);
    }

    #[test]
    fn max_basis_meters_the_larger_body() {
        assert_eq!(http_units(REQ, RESP, None, MeteringBasis::Max, HTTP_INC), 3);
        assert_eq!(http_units(RESP, REQ, None, MeteringBasis::Max, HTTP_INC), 3);
    }

    #[test]
    fn request_basis_meters_the_request_body_only() {
        assert_eq!(
            http_units(REQ, RESP, None, MeteringBasis::Request, HTTP_INC),
            2
        );
    }

    #[test]
    fn response_basis_meters_the_response_body_only() {
        assert_eq!(
            http_units(REQ, RESP, None, MeteringBasis::Response, HTTP_INC),
            3
        );
    }

    #[test]
    fn data_processed_wins_over_every_basis() {
        for basis in [
            MeteringBasis::Sum,
            MeteringBasis::Max,
            MeteringBasis::Request,
            MeteringBasis::Response,
        ] {
            assert_eq!(http_units(REQ, RESP, Some(10), basis, HTTP_INC), 1);
            assert_eq!(http_units(0, 0, Some(5 * HTTP_INC + 1), basis, HTTP_INC), 6);
        }
    }

    #[test]
    fn sum_basis_saturates_instead_of_overflowing() {
        assert_eq!(
            http_units(u64::MAX, u64::MAX, None, MeteringBasis::Sum, HTTP_INC),
            u64::MAX / HTTP_INC + 1
        );
    }

    #[test]
    fn rest_requests_are_one_unit_unless_streaming_increments_are_on() {
        let ten_mb = 10 * 1024 * KB;
        assert_eq!(rest_units(25 * ten_mb, None), 1);
        assert_eq!(rest_units(0, Some(ten_mb)), 1);
        assert_eq!(rest_units(ten_mb, Some(ten_mb)), 1);
        assert_eq!(rest_units(ten_mb + 1, Some(ten_mb)), 2);
    }

    #[test]
    fn a_book_meters_a_request_for_both_api_types_at_once() {
        let mut book = crate::PriceBook::aws_us_east_1();
        // 512 KB + 1 byte of response: 2 HTTP units (sum basis), 1 REST unit.
        let u = book.request_units(0, HTTP_INC + 1, None, None);
        assert_eq!((u.metered_bytes, u.http, u.rest), (HTTP_INC + 1, 2, 1));
        // dataProcessed wins; a basis override applies to the bodies only.
        assert_eq!(book.request_units(REQ, RESP, Some(10), None).http, 1);
        assert_eq!(
            book.request_units(REQ, RESP, None, Some(MeteringBasis::Request))
                .http,
            2
        );
        book.rest_api.streaming_increment_bytes = Some(10 * 1024 * KB);
        assert_eq!(
            book.request_units(0, 10 * 1024 * KB + 1, None, None).rest,
            2
        );
        assert_eq!(book.message_units(Some(32 * KB + 1)), 2);
        assert_eq!(book.message_units(None), 1);
    }

    #[test]
    fn unsized_websocket_message_is_one_unit() {
        assert_eq!(ws_message_units(None, 32 * KB), 1);
        assert_eq!(ws_message_units(Some(128 * KB), 32 * KB), 4);
    }

    #[test]
    fn connection_minutes_round_up_to_whole_minutes() {
        assert_eq!(connection_minutes(0, 59_999), 1);
        assert_eq!(connection_minutes(0, 60_000), 1);
        assert_eq!(connection_minutes(0, 60_001), 2);
        assert_eq!(connection_minutes(0, 0), 1);
        // Two hours, AWS's maximum connection duration.
        assert_eq!(connection_minutes(1_000, 1_000 + 7_200_000), 120);
    }

    #[test]
    fn connection_ending_before_it_started_bills_one_minute() {
        assert_eq!(connection_minutes(60_000, 0), 1);
        assert_eq!(connection_minutes(i64::MAX, i64::MIN), 1);
    }

    #[test]
    fn extreme_timestamps_do_not_overflow() {
        let minutes = connection_minutes(i64::MIN, i64::MAX);
        assert_eq!(u128::from(minutes), (u64::MAX as u128).div_ceil(60_000));
    }
}
