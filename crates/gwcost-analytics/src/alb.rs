//! The same traffic as an Application Load Balancer would see it, hour by hour: requests,
//! processed bytes, and the client connections the logs show (the sidecar's
//! `clientConnectionId` / `clientConnectedAt`, and WebSocket connections). API Gateway's own logs
//! name no client connection: those requests are counted apart, and the pricing applies its
//! documented assumption to them.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;

/// One clock hour (UTC) of traffic through the front door.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AlbHourTraffic {
    /// REQUEST events (every one is routed by the ALB, billable by API Gateway or not).
    pub requests: u64,
    /// Request and response body bytes, and WebSocket message bytes (headers are not logged).
    pub processed_bytes: u64,
    /// Connections the logs show opening in this hour.
    pub new_connections: u64,
    /// Sum over the hour's minutes of the connections the logs show active in each minute.
    pub active_connection_minutes: u64,
    /// Requests whose line names no client connection (API Gateway's own logs).
    pub requests_without_connection: u64,
}

impl std::ops::AddAssign for AlbHourTraffic {
    fn add_assign(&mut self, o: Self) {
        self.requests += o.requests;
        self.processed_bytes += o.processed_bytes;
        self.new_connections += o.new_connections;
        self.active_connection_minutes += o.active_connection_minutes;
        self.requests_without_connection += o.requests_without_connection;
    }
}

/// Every hour with traffic, keyed by its start (ms since the epoch, UTC).
pub type AlbTraffic = BTreeMap<i64, AlbHourTraffic>;

/// Folds events into [`AlbTraffic`]; connections are kept as (first minute, last minute) until
/// the end, since one connection's requests may be spread over chunks and files.
#[derive(Debug, Default)]
pub(crate) struct AlbTally {
    hours: AlbTraffic,
    /// The hour being filled (events mostly come in time order): one map lookup per hour
    /// instead of one per event, on the analyzer's hot path.
    current: Option<(i64, AlbHourTraffic)>,
    /// Client connection (id, `clientConnectedAt`) -> first and last minute it was seen active.
    clients: HashMap<(String, Option<i64>), (i64, i64)>,
    /// WebSocket connections: (start, end) in ms.
    sockets: Vec<(i64, i64)>,
}

fn hour_of(ms: i64) -> i64 {
    ms.div_euclid(HOUR_MS) * HOUR_MS
}

impl AlbTally {
    fn hour(&mut self, time_ms: i64) -> &mut AlbHourTraffic {
        let hour = hour_of(time_ms);
        if self.current.as_ref().is_some_and(|(h, _)| *h != hour) {
            self.flush();
        }
        &mut self
            .current
            .get_or_insert((hour, AlbHourTraffic::default()))
            .1
    }

    fn flush(&mut self) {
        if let Some((h, t)) = self.current.take() {
            *self.hours.entry(h).or_default() += t;
        }
    }

    pub(crate) fn request(
        &mut self,
        time_ms: i64,
        bytes: u64,
        client: Option<&str>,
        connected_at: Option<i64>,
    ) {
        let h = self.hour(time_ms);
        h.requests += 1;
        h.processed_bytes = h.processed_bytes.saturating_add(bytes);
        match client {
            Some(id) => {
                let minute = time_ms.div_euclid(MINUTE_MS);
                let opened = connected_at.map_or(minute, |c| c.div_euclid(MINUTE_MS).min(minute));
                let slot = self
                    .clients
                    .entry((id.to_owned(), connected_at))
                    .or_insert((opened, minute));
                slot.0 = slot.0.min(opened);
                slot.1 = slot.1.max(minute);
            }
            None => self.hour(time_ms).requests_without_connection += 1,
        }
    }

    pub(crate) fn message(&mut self, time_ms: i64, bytes: u64) {
        let h = self.hour(time_ms);
        h.processed_bytes = h.processed_bytes.saturating_add(bytes);
    }

    pub(crate) fn socket(&mut self, start_ms: i64, end_ms: i64) {
        self.sockets.push((start_ms, end_ms.max(start_ms)));
    }

    pub(crate) fn merge(&mut self, mut o: AlbTally) {
        self.flush();
        o.flush();
        for (k, v) in o.hours {
            *self.hours.entry(k).or_default() += v;
        }
        for (k, (a, b)) in o.clients {
            let slot = self.clients.entry(k).or_insert((a, b));
            slot.0 = slot.0.min(a);
            slot.1 = slot.1.max(b);
        }
        self.sockets.extend(o.sockets);
    }

    /// Each connection counts as new in the hour it opened and as active in every minute from
    /// its first to its last (whole minutes, as the ALB's per-minute count).
    pub(crate) fn finish(mut self) -> AlbTraffic {
        self.flush();
        let minutes = self.clients.into_values().chain(
            self.sockets
                .into_iter()
                .map(|(a, b)| (a.div_euclid(MINUTE_MS), b.div_euclid(MINUTE_MS))),
        );
        for (first, last) in minutes {
            let per_hour = HOUR_MS / MINUTE_MS;
            self.hours
                .entry(hour_of(first * MINUTE_MS))
                .or_default()
                .new_connections += 1;
            let mut m = first;
            while m <= last {
                let hour_end = (m.div_euclid(per_hour) + 1) * per_hour;
                let upto = last.min(hour_end - 1);
                let n = u64::try_from(upto - m + 1).unwrap_or(0);
                self.hours
                    .entry(hour_of(m * MINUTE_MS))
                    .or_default()
                    .active_connection_minutes += n;
                m = upto + 1;
            }
        }
        self.hours
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two keep-alive connections: one opened at 10:58:55 carrying requests at 10:59 and 11:01:30
    /// (active 10:58–10:59 in hour 10, 11:00–11:01 in hour 11), one at 11:30 with one request.
    #[test]
    fn connections_count_new_once_and_active_every_minute() {
        let t0 = 1_764_583_200_000; // 2025-12-01T10:00:00Z
        let min = |m: i64| t0 + m * MINUTE_MS;
        let mut a = AlbTally::default();
        a.request(min(59), 100, Some("c1"), Some(min(59) - 5_000));
        a.request(min(90), 10, Some("c2"), Some(min(90)));
        let mut b = AlbTally::default();
        b.request(min(61) + 30_000, 50, Some("c1"), Some(min(59) - 5_000));
        b.request(min(62), 7, None, None);
        a.merge(b);
        let hours = a.finish();
        let h10 = hours[&t0];
        let h11 = hours[&(t0 + HOUR_MS)];
        assert_eq!((h10.requests, h10.new_connections), (1, 1));
        assert_eq!(h10.active_connection_minutes, 2);
        assert_eq!((h11.requests, h11.new_connections), (3, 1));
        // c1 active 11:00 and 11:01; c2 11:30.
        assert_eq!(h11.active_connection_minutes, 3);
        assert_eq!(h11.processed_bytes, 67);
        assert_eq!(h11.requests_without_connection, 1);
    }
}
