//! The monthly bill as ONE SQL query, for logs too big for one machine.
//!
//! Teams whose access logs live in S3 at terabyte scale bill them where they already are, on
//! Athena, Trino or Spark; `gwcost sql` prints the query. It computes per UTC month the same
//! metering as `gwcost analyze` — 512 KB HTTP increments under the chosen basis (`dataProcessed`
//! when present), REST units, 32 KB WebSocket message units (unknown size → 1), connection
//! minutes rounded up per connection in the month it ends, gateway rejections unbilled — and the
//! tiered costs with or without the free tier, all from the [`PriceBook`] in force.
//!
//! Portability choices, each because an engine differs:
//! - **Months by integer arithmetic.** The UTC month is computed from `requestTimeEpoch` with
//!   the civil-from-days algorithm (H. Hinnant), not with date functions: Spark formats
//!   timestamps in the session time zone and Trino's `from_unixtime` has zone variants, while
//!   integer division is exact everywhere. Only the integer-division operator differs
//!   (`//` DuckDB, `/` on BIGINT Trino/Athena, `div` Spark), so the DuckDB test exercises the
//!   very arithmetic the other engines run.
//! - **`TRY_CAST` on every number**: API Gateway writes numbers as strings and `-` for empty, so
//!   a table may declare them VARCHAR; `TRY_CAST` reads both, and `-` becomes NULL.
//! - **Exact money.** Prices are `CAST('…' AS DECIMAL(p, s))` string literals (Athena engine v2
//!   read bare decimal literals as DOUBLE), all at one scale, and every product and sum stays
//!   within DECIMAL(38): DuckDB rounds a UNION of DECIMAL(38,7) and DECIMAL(38,8) to 7 places and
//!   Spark drops scale when a precision passes 38, so widths are chosen to never get there.
//!
//! Rows without `requestTimeEpoch` are dated by API Gateway's CLF `requestTime`
//! (`dd/MMM/yyyy:HH:mm:ss +hhmm`), taken apart by position and turned into epoch milliseconds
//! with the same integer arithmetic; a row with neither is skipped, as `gwcost analyze` skips
//! it as malformed.
//!
//! What it does not do: data transfer out is reported in bytes but not priced (its per-GB price over 2^30 bytes needs more
//! than 38 decimal digits to stay exact in SQL); `--since/--until` and breakdowns are left to a
//! `WHERE`/`GROUP BY` the user adds. A connection whose CONNECT was refused (status ≥ 400) never
//! opened and bills no minutes.

use std::fmt::Write as _;

use gwcost_log::KNOWN_FIELDS;
use gwcost_pricing::{Decimal, MeteringBasis, PriceBook, Tier};

/// The SQL engine a query is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Amazon Athena, engine version 3 (Trino's SQL).
    Athena,
    /// Trino (and Presto).
    Trino,
    /// Apache Spark SQL 3.2 or later (for `TRY_CAST`).
    Spark,
    /// DuckDB (e.g. over `read_json('logs/*.jsonl')` or Parquet).
    DuckDb,
}

impl Dialect {
    /// Every dialect, in the order `gwcost sql --dialect` lists them.
    pub const ALL: [Dialect; 4] = [
        Dialect::Athena,
        Dialect::Trino,
        Dialect::Spark,
        Dialect::DuckDb,
    ];

    /// The dialect's name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Athena => "athena",
            Dialect::Trino => "trino",
            Dialect::Spark => "spark",
            Dialect::DuckDb => "duckdb",
        }
    }

    /// Integer division of two non-negative BIGINTs.
    fn div(self, a: &str, b: &str) -> String {
        // The dividend may be a sum: keep it together.
        let a = if a.contains(' ') {
            format!("({a})")
        } else {
            a.to_owned()
        };
        match self {
            Dialect::DuckDb => format!("({a} // {b})"),
            Dialect::Athena | Dialect::Trino => format!("({a} / {b})"),
            Dialect::Spark => format!("({a} div {b})"),
        }
    }

    /// `YYYY-MM` from integer year and month expressions.
    fn month_string(self, y: &str, m: &str) -> String {
        match self {
            Dialect::DuckDb => format!("printf('%04d-%02d', {y}, {m})"),
            Dialect::Athena | Dialect::Trino => format!("format('%04d-%02d', {y}, {m})"),
            Dialect::Spark => format!("format_string('%04d-%02d', {y}, {m})"),
        }
    }
}

impl std::fmt::Display for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A dialect name that is not one of `athena`, `trino`, `spark`, `duckdb`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownDialect(pub String);

impl std::fmt::Display for UnknownDialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "unknown SQL dialect {:?}: expected one of athena, trino, spark, duckdb",
            self.0
        )
    }
}

impl std::error::Error for UnknownDialect {}

impl std::str::FromStr for Dialect {
    type Err = UnknownDialect;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Dialect::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownDialect(s.to_owned()))
    }
}

/// Month abbreviations of API Gateway's CLF `requestTime`, upper-cased.
const CLF_MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// `name`, which must be one of the schema's field names ([`gwcost_log::KNOWN_FIELDS`]); a
/// name that is not fails the build, so the query cannot read a column the schema lost or
/// renamed.
const fn schema_field(name: &'static str) -> &'static str {
    let mut i = 0;
    while i < KNOWN_FIELDS.len() {
        if const_str_eq(KNOWN_FIELDS[i], name) {
            return name;
        }
        i += 1;
    }
    panic!("not a schema field (gwcost_log::KNOWN_FIELDS)")
}

const fn const_str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const REQUEST_ID: &str = schema_field("requestId");
const REQUEST_TIME_EPOCH: &str = schema_field("requestTimeEpoch");
const REQUEST_TIME: &str = schema_field("requestTime");
const EVENT_TYPE: &str = schema_field("eventType");
const STATUS: &str = schema_field("status");
const REQUEST_LENGTH: &str = schema_field("requestLength");
const RESPONSE_LENGTH: &str = schema_field("responseLength");
const DATA_PROCESSED: &str = schema_field("dataProcessed");
const ERROR_RESPONSE_TYPE: &str = schema_field("errorResponseType");
const CONNECTION_ID: &str = schema_field("connectionId");
const MESSAGE_LENGTH: &str = schema_field("messageLength");
const CONNECTED_AT: &str = schema_field("connectedAt");

/// The schema-v1 columns the query reads (each checked against gwcost-log's field list when
/// this crate is built). A table must have all of them (a column that is always empty may be
/// NULL); any others are ignored.
pub const LOG_COLUMNS: [&str; 12] = [
    REQUEST_ID,
    REQUEST_TIME_EPOCH,
    REQUEST_TIME,
    EVENT_TYPE,
    STATUS,
    REQUEST_LENGTH,
    RESPONSE_LENGTH,
    DATA_PROCESSED,
    ERROR_RESPONSE_TYPE,
    CONNECTION_ID,
    MESSAGE_LENGTH,
    CONNECTED_AT,
];

/// A DuckDB table expression over JSON-lines files (`glob` such as `logs/**/*.jsonl*`; `.gz`
/// is read as gzip) that gives [`monthly_metering_sql`] every column it reads, as VARCHAR —
/// every field of the schema ([`KNOWN_FIELDS`]), so breakdowns can use the others.
///
/// Explicit columns because auto-detection leaves out a field no sampled line had (a sidecar
/// log never has `dataProcessed`) and the query would not bind; VARCHAR because API Gateway
/// writes numbers as strings and `-` for empty, which the query's `TRY_CAST`s read.
pub fn duckdb_json_source(glob: &str) -> String {
    let cols: Vec<String> = KNOWN_FIELDS
        .iter()
        .map(|c| format!("{c}: 'VARCHAR'"))
        .collect();
    format!(
        "read_json({}, format = 'newline_delimited', union_by_name = true, columns = {{{}}})",
        sql_string(glob),
        cols.join(", ")
    )
}

/// Every field of the schema ([`KNOWN_FIELDS`]) as a back-quoted string column, one per line:
/// the column list of the Athena and Spark table definitions. Back quotes because Hive's DDL
/// reserves `user`, one of AWS's REST fields.
fn string_columns(string_type: &str) -> String {
    KNOWN_FIELDS
        .iter()
        .map(|c| format!("  `{c}` {string_type}"))
        .collect::<Vec<_>>()
        .join(",\n")
}

/// Athena DDL for a table of schema-v1 JSON-lines logs under `s3_location`
/// (`s3://bucket/prefix/`), ready for [`monthly_metering_sql`] with [`Dialect::Athena`].
///
/// Every column is `string`: API Gateway writes numbers as strings and `-` for empty, which a
/// `bigint` column would reject; the query `TRY_CAST`s them. The OpenX JSON SerDe matches
/// field names case-insensitively (Athena lower-cases column names) and skips malformed lines
/// instead of failing the query. Every schema field is declared, so `stage`, `routeKey` and
/// the rest are there for breakdowns.
pub fn athena_json_table_ddl(table: &str, s3_location: &str) -> String {
    format!(
        "CREATE EXTERNAL TABLE IF NOT EXISTS {table} (\n{}\n)\n\
         ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\n\
         WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true')\n\
         LOCATION {}\n",
        string_columns("string"),
        sql_string(s3_location)
    )
}

/// Spark SQL that makes `view` a temporary view over the JSON-lines logs at `path` (a file, a
/// directory or a glob; `s3a://…` on a cluster; `.gz` is read as gzip), ready for
/// [`monthly_metering_sql`] with [`Dialect::Spark`]: `spark-sql -f` runs it and the query as
/// one script.
///
/// The schema is given, every field as STRING, because Spark's inference would leave out a
/// field no line has (a sidecar log never has `dataProcessed`) and type the rest from a sample;
/// lines Spark cannot parse become rows of NULLs, which the query skips as undated.
pub fn spark_json_view_sql(view: &str, path: &str) -> String {
    format!(
        "CREATE OR REPLACE TEMPORARY VIEW {view} (\n{}\n)\nUSING json\nOPTIONS (path {})\n",
        string_columns("STRING"),
        sql_string(path)
    )
}

/// Largest number of decimal places a per-unit price keeps in SQL. Per-million prices have at
/// most 6 + their own places (0.25/M = 0.00000025); 12 leaves room for odd price books while
/// keeping `DECIMAL(19,0) × DECIMAL(p,12)` within Spark's 38 digits.
const MAX_PRICE_SCALE: u32 = 12;

/// One monthly-metering query over `table` (inserted as written: a table name such as
/// `logs.api_access`, or a DuckDB table function such as `read_json('logs/*.jsonl')`), whose
/// columns carry schema v1's names.
///
/// Output: one row per UTC month (`month` = `YYYY-MM`, ascending) with `requests`,
/// `billable_requests`, `http_units`, `rest_units`, `ws_connections`, `ws_messages`,
/// `ws_messages_unsized`, `ws_message_units`, `ws_connection_minutes`, `response_bytes`, and the
/// costs `http_cost_usd`, `rest_cost_usd`, `ws_messages_cost_usd`,
/// `ws_connection_minutes_cost_usd`, `ws_cost_usd` as exact DECIMALs. As in `gwcost analyze`,
/// every request is priced both as HTTP API and as REST API (alternatives, never added).
pub fn monthly_metering_sql(
    dialect: Dialect,
    table: &str,
    book: &PriceBook,
    free_tier: bool,
    basis: MeteringBasis,
) -> String {
    let d = dialect;
    let scale = price_scale(book);
    let free = |amount: u64| if free_tier { amount } else { 0 };
    let http_inc = book.http_api.increment_bytes.max(1);
    let ws_inc = book.websocket.message_increment_bytes.max(1);

    let unbilled = if book.unbilled_error_types.is_empty() {
        // `IN ()` is not SQL; nothing is unbilled.
        "FALSE".to_owned()
    } else {
        let list: Vec<String> = book
            .unbilled_error_types
            .iter()
            .map(|t| sql_string(&t.trim().to_ascii_uppercase()))
            .collect();
        format!("error_type IN ({})", list.join(", "))
    };
    let basis_bytes = match basis {
        MeteringBasis::Sum => "request_bytes + response_bytes".to_owned(),
        MeteringBasis::Max => "GREATEST(request_bytes, response_bytes)".to_owned(),
        MeteringBasis::Request => "request_bytes".to_owned(),
        MeteringBasis::Response => "response_bytes".to_owned(),
    };
    let metered = format!("COALESCE(data_processed, {basis_bytes})");
    let http_units = ceil_units(d, &metered, http_inc);
    let rest_units = match book.rest_api.streaming_increment_bytes {
        Some(inc) => ceil_units(d, "response_bytes", inc.max(1)),
        None => "1".to_owned(),
    };
    let message_units = format!(
        "CASE WHEN message_bytes IS NULL THEN 1 ELSE {} END",
        ceil_units(d, "message_bytes", ws_inc)
    );
    let connect_disconnect_units = if book.websocket.count_connect_disconnect {
        "1"
    } else {
        "0"
    };

    let div = |a: &str, b: &str| d.div(a, b);
    // Day of the March-based year of a CLF date.
    let clf_doy = format!("{} + clf_d - 1", div("153 * ((clf_m + 9) % 12) + 2", "5"));
    let mut q = String::new();
    let _ = writeln!(
        q,
        "-- gwcost monthly metering ({dialect}): price book {} as of {}, free tier {}, metering basis {basis}.",
        book.meta.name.replace('\n', " "),
        book.meta.as_of.replace('\n', " "),
        if free_tier { "on" } else { "off" },
    );
    q.push_str(
        "-- One row per UTC month; costs are exact decimals in USD. Generated by `gwcost sql`.\n",
    );
    let _ = write!(
        q,
        "WITH raw AS (
  SELECT
    {EVENT_TYPE} AS event_type, {REQUEST_TIME_EPOCH} AS epoch_text, {REQUEST_ID} AS rid,
    {CONNECTION_ID} AS cid, {STATUS} AS status_text, {REQUEST_LENGTH} AS request_len,
    {RESPONSE_LENGTH} AS response_len, {DATA_PROCESSED} AS data_len,
    {MESSAGE_LENGTH} AS message_len, {CONNECTED_AT} AS connected_ms,
    {ERROR_RESPONSE_TYPE} AS error_text, TRIM({REQUEST_TIME}) AS clf
  FROM {table}
),
-- API Gateway's requestTime, dd/MMM/yyyy:HH:mm:ss +hhmm, taken apart by position, for rows
-- without requestTimeEpoch ...
clf0 AS (
  SELECT raw.*,
    TRY_CAST(SUBSTR(clf, 1, 2) AS BIGINT) AS clf_d,
    CASE UPPER(SUBSTR(clf, 4, 3)) {months} END AS clf_m,
    TRY_CAST(SUBSTR(clf, 8, 4) AS BIGINT) AS clf_y,
    TRY_CAST(SUBSTR(clf, 13, 2) AS BIGINT) * 3600 + TRY_CAST(SUBSTR(clf, 16, 2) AS BIGINT) * 60
      + TRY_CAST(SUBSTR(clf, 19, 2) AS BIGINT) AS clf_secs,
    CASE SUBSTR(clf, 22, 1) WHEN '+' THEN 1 WHEN '-' THEN -1 END
      * (TRY_CAST(SUBSTR(clf, 23, 2) AS BIGINT) * 3600 + TRY_CAST(SUBSTR(clf, 25, 2) AS BIGINT) * 60)
      AS clf_offset
  FROM raw
),
-- ... its civil date to days since the epoch (H. Hinnant's days_from_civil; March-based years)
clf1 AS (
  SELECT clf0.*,
    clf_y - CASE WHEN clf_m <= 2 THEN 1 ELSE 0 END AS cy,
    {clf_doy} AS clf_doy
  FROM clf0
),
clf2 AS (
  SELECT clf1.*, {cera} AS cera, cy - {cera} * 400 AS cyoe
  FROM clf1
),
ev AS (
  SELECT
    UPPER(COALESCE(NULLIF(NULLIF(TRIM(event_type), '-'), ''), 'REQUEST')) AS kind,
    COALESCE(
      TRY_CAST(epoch_text AS BIGINT),
      ((cera * 146097 + cyoe * 365 + {cyoe4} - {cyoe100} + clf_doy - 719468) * 86400
        + clf_secs - clf_offset) * 1000
    ) AS t,
    NULLIF(NULLIF(TRIM(rid), '-'), '') AS request_id,
    NULLIF(NULLIF(TRIM(cid), '-'), '') AS connection_id,
    TRY_CAST(status_text AS BIGINT) AS status_code,
    {request_bytes} AS request_bytes,
    {response_bytes} AS response_bytes,
    {data_processed} AS data_processed,
    {message_bytes} AS message_bytes,
    TRY_CAST(connected_ms AS BIGINT) AS connected_at,
    UPPER(TRIM(COALESCE(error_text, ''))) AS error_type
  FROM clf2
),
-- The UTC civil month of t (ms since the epoch), in integers: days since 0000-03-01 ...
d0 AS (
  SELECT ev.*, {days} + 719468 AS z
  FROM ev
  WHERE t IS NOT NULL AND t >= 0 AND kind IN ('REQUEST', 'CONNECT', 'MESSAGE', 'DISCONNECT')
),
-- ... split into 400-year eras ...
d1 AS (
  SELECT d0.*, {era} AS era, z - {era} * 146097 AS doe
  FROM d0
),
-- ... the year of the era ...
d2 AS (
  SELECT d1.*, {yoe} AS yoe
  FROM d1
),
-- ... the month counted from March ...
d3 AS (
  SELECT d2.*, {mp} AS mp
  FROM d2
),
-- ... and the calendar month as YYYYMM.
dated AS (
  SELECT d3.*,
    (yoe + era * 400 + CASE WHEN mp >= 10 THEN 1 ELSE 0 END) * 100
      + CASE WHEN mp < 10 THEN mp + 3 ELSE mp - 9 END AS month_key
  FROM d3
),
-- Requests and messages are billed in the month they happen.
event_usage AS (
  SELECT
    month_key,
    SUM(CASE WHEN kind = 'REQUEST' THEN 1 ELSE 0 END) AS requests,
    SUM(CASE WHEN kind = 'REQUEST' AND NOT ({unbilled}) THEN 1 ELSE 0 END) AS billable_requests,
    SUM(CASE WHEN kind = 'REQUEST' AND NOT ({unbilled}) THEN {http_units} ELSE 0 END) AS http_units,
    SUM(CASE WHEN kind = 'REQUEST' AND NOT ({unbilled}) THEN {rest_units} ELSE 0 END) AS rest_units,
    SUM(CASE WHEN kind = 'REQUEST' THEN response_bytes ELSE 0 END) AS response_bytes,
    SUM(CASE WHEN kind = 'MESSAGE' THEN 1 ELSE 0 END) AS ws_messages,
    SUM(CASE WHEN kind = 'MESSAGE' AND message_bytes IS NULL THEN 1 ELSE 0 END) AS ws_messages_unsized,
    SUM(CASE WHEN kind = 'MESSAGE' THEN {message_units}
             WHEN kind IN ('CONNECT', 'DISCONNECT') THEN {connect_disconnect_units}
             ELSE 0 END) AS ws_message_units
  FROM dated
  GROUP BY month_key
),
-- One row per WebSocket connection (its events may be spread over files and months): from
-- connectedAt (else its CONNECT, else its first event) to its DISCONNECT (else its last event).
connections AS (
  SELECT
    COALESCE(connection_id, request_id) AS conn,
    COALESCE(MIN(connected_at), MIN(CASE WHEN kind = 'CONNECT' THEN t END), MIN(t)) AS opened,
    COALESCE(MAX(CASE WHEN kind = 'DISCONNECT' THEN t END), MAX(t)) AS closed,
    COALESCE(MAX(CASE WHEN kind = 'DISCONNECT' THEN month_key END), MAX(month_key)) AS month_key,
    MAX(CASE WHEN kind = 'CONNECT' AND status_code >= 400 THEN 1 ELSE 0 END) AS refused
  FROM dated
  WHERE kind IN ('CONNECT', 'MESSAGE', 'DISCONNECT')
  GROUP BY COALESCE(connection_id, request_id)
),
-- Connection minutes: each connection rounded up to whole minutes, at least 1, in the month
-- it ends. A refused CONNECT never opened a connection.
connection_usage AS (
  SELECT
    month_key,
    COUNT(*) AS ws_connections,
    SUM(GREATEST(1, {minutes})) AS ws_connection_minutes
  FROM connections
  WHERE refused = 0
  GROUP BY month_key
),
usage AS (
  SELECT
    month_key,
    SUM(requests) AS requests,
    SUM(billable_requests) AS billable_requests,
    SUM(http_units) AS http_units,
    SUM(rest_units) AS rest_units,
    SUM(response_bytes) AS response_bytes,
    SUM(ws_connections) AS ws_connections,
    SUM(ws_messages) AS ws_messages,
    SUM(ws_messages_unsized) AS ws_messages_unsized,
    SUM(ws_message_units) AS ws_message_units,
    SUM(ws_connection_minutes) AS ws_connection_minutes
  FROM (
    SELECT month_key, requests, billable_requests, http_units, rest_units, response_bytes,
      0 AS ws_connections, ws_messages, ws_messages_unsized, ws_message_units,
      0 AS ws_connection_minutes
    FROM event_usage
    UNION ALL
    SELECT month_key, 0, 0, 0, 0, 0, ws_connections, 0, 0, 0, ws_connection_minutes
    FROM connection_usage
  ) parts
  GROUP BY month_key
),
-- Tiered costs, per month: units in [free, units) that fall in each tier times its price.
costs AS (
  SELECT usage.*,
    {http_cost} AS http_cost_usd,
    {rest_cost} AS rest_cost_usd,
    {msg_cost} AS ws_messages_cost_usd,
    {min_cost} AS ws_connection_minutes_cost_usd
  FROM usage
)
SELECT
  {month} AS month,
  requests, billable_requests, http_units, rest_units,
  ws_connections, ws_messages, ws_messages_unsized, ws_message_units, ws_connection_minutes,
  response_bytes,
  http_cost_usd, rest_cost_usd, ws_messages_cost_usd, ws_connection_minutes_cost_usd,
  CAST(CAST(ws_messages_cost_usd AS DECIMAL(30, {scale}))
    + CAST(ws_connection_minutes_cost_usd AS DECIMAL(30, {scale})) AS DECIMAL(38, {scale})) AS ws_cost_usd
FROM costs
ORDER BY month_key
",
        request_bytes = non_negative("COALESCE(TRY_CAST(request_len AS BIGINT), 0)"),
        response_bytes = non_negative("COALESCE(TRY_CAST(response_len AS BIGINT), 0)"),
        data_processed = non_negative("TRY_CAST(data_len AS BIGINT)"),
        message_bytes = non_negative("TRY_CAST(message_len AS BIGINT)"),
        months = CLF_MONTHS
            .iter()
            .enumerate()
            .map(|(i, m)| format!("WHEN '{m}' THEN {}", i + 1))
            .collect::<Vec<_>>()
            .join(" "),
        cera = div("cy", "400"),
        cyoe4 = div("cyoe", "4"),
        cyoe100 = div("cyoe", "100"),
        days = div("t", "86400000"),
        era = div("z", "146097"),
        yoe = div(
            &format!(
                "doe - {} + {} - {}",
                div("doe", "1460"),
                div("doe", "36524"),
                div("doe", "146096")
            ),
            "365"
        ),
        mp = div(
            &format!(
                "5 * (doe - (365 * yoe + {} - {})) + 2",
                div("yoe", "4"),
                div("yoe", "100")
            ),
            "153"
        ),
        minutes = div("closed - opened + 59999", "60000"),
        http_cost = tier_cost(
            "http_units",
            free(book.http_api.free_tier_requests),
            &book.http_api.tiers,
            scale
        ),
        rest_cost = tier_cost(
            "rest_units",
            free(book.rest_api.free_tier_requests),
            &book.rest_api.tiers,
            scale
        ),
        msg_cost = tier_cost(
            "ws_message_units",
            free(book.websocket.free_tier_messages),
            &book.websocket.message_tiers,
            scale
        ),
        min_cost = tier_cost(
            "ws_connection_minutes",
            free(book.websocket.free_tier_connection_minutes),
            &book.websocket.connection_minute_tiers,
            scale
        ),
        month = d.month_string(&div("month_key", "100"), "month_key % 100"),
    );
    q
}

/// `max(1, ceil(bytes / increment))` for a non-negative BIGINT expression.
fn ceil_units(d: Dialect, bytes: &str, increment: u64) -> String {
    let minus_one = increment - 1;
    format!(
        "GREATEST(1, {})",
        d.div(&format!("{bytes} + {minus_one}"), &increment.to_string())
    )
}

/// `expr`, with negative values read as 0 and NULL kept NULL. Not `GREATEST(expr, 0)`: DuckDB
/// and Spark skip NULL arguments there (giving 0) while Trino returns NULL, and an absent
/// `dataProcessed` or `messageLength` must stay absent.
fn non_negative(expr: &str) -> String {
    format!("CASE WHEN {expr} < 0 THEN 0 ELSE {expr} END")
}

/// A single-quoted SQL string literal.
fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The one scale every price is written at: the largest any tier price needs, at most
/// [`MAX_PRICE_SCALE`] (a price with more places is rounded half-even to it).
fn price_scale(book: &PriceBook) -> u32 {
    let tiers = book
        .http_api
        .tiers
        .iter()
        .chain(&book.rest_api.tiers)
        .chain(&book.websocket.message_tiers)
        .chain(&book.websocket.connection_minute_tiers);
    tiers
        .map(|t| t.unit_price.normalize().scale())
        .max()
        .unwrap_or(0)
        .min(MAX_PRICE_SCALE)
}

/// Digits left of the decimal point a price needs (at least 1).
fn integer_digits(price: Decimal) -> u32 {
    let whole = price.abs().trunc().normalize().to_string();
    u32::try_from(whole.len()).unwrap_or(1).max(1)
}

/// The tiered cost of `units` after `free` free units, as one DECIMAL(38, scale) expression:
/// the sum over tiers of the units of `[min(units, free), units)` inside `[lower, upper)` times
/// the tier's unit price. Tier bounds follow `gwcost_pricing::tiered_cost`: each tier starts
/// where the previous ended and the last is unbounded.
fn tier_cost(units: &str, free: u64, tiers: &[Tier], scale: u32) -> String {
    if tiers.is_empty() {
        return format!("CAST(0 AS DECIMAL(38, {scale}))");
    }
    let from = if free == 0 {
        None
    } else {
        Some(format!("LEAST({units}, {free})"))
    };
    let last = tiers.len() - 1;
    let mut lower = 0u64;
    let mut terms = Vec::with_capacity(tiers.len());
    for (i, tier) in tiers.iter().enumerate() {
        let upper = if i == last {
            None
        } else {
            tier.up_to.map(|u| u.max(lower))
        };
        let top = upper.map_or_else(|| units.to_owned(), |u| format!("LEAST({units}, {u})"));
        let bottom = match &from {
            Some(f) => format!("GREATEST({f}, {lower})"),
            None => lower.to_string(),
        };
        let price = tier.unit_price.round_dp(scale);
        let precision = integer_digits(price) + scale;
        let price = format!("{price:.prec$}", prec = scale as usize);
        // DECIMAL(19,0) holds any BIGINT; 19 + precision stays within 38 for MAX_PRICE_SCALE.
        terms.push(format!(
            "CAST(GREATEST(0, {top} - {bottom}) AS DECIMAL(19, 0)) * CAST('{price}' AS DECIMAL({precision}, {scale}))"
        ));
        lower = upper.unwrap_or(u64::MAX);
    }
    format!(
        "CAST({} AS DECIMAL(38, {scale}))",
        terms
            .iter()
            .map(|t| format!("CAST({t} AS DECIMAL(30, {scale}))"))
            .collect::<Vec<_>>()
            .join("\n      + ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> PriceBook {
        PriceBook::aws_us_east_1()
    }

    #[test]
    fn dialect_names_round_trip() {
        for d in Dialect::ALL {
            assert_eq!(d.as_str().parse::<Dialect>(), Ok(d));
        }
        assert_eq!("DuckDB".parse::<Dialect>(), Ok(Dialect::DuckDb));
        let err = "mysql".parse::<Dialect>().unwrap_err();
        assert!(err.to_string().contains("athena, trino, spark, duckdb"));
    }

    #[test]
    fn integer_division_is_each_engines_own() {
        let q = |d| monthly_metering_sql(d, "logs", &book(), false, MeteringBasis::Sum);
        assert!(q(Dialect::DuckDb).contains("(t // 86400000)"));
        assert!(q(Dialect::Trino).contains("(t / 86400000)"));
        assert!(q(Dialect::Athena).contains("(t / 86400000)"));
        assert!(q(Dialect::Spark).contains("(t div 86400000)"));
        // No engine-specific date function anywhere: months come from integers.
        for d in Dialect::ALL {
            let sql = q(d);
            for f in ["from_unixtime", "epoch_ms", "date_format", "strftime"] {
                assert!(!sql.contains(f), "{d}: {f}");
            }
            assert!(sql.contains("FROM logs\n"), "{d}");
        }
    }

    #[test]
    fn tiers_come_from_the_price_book() {
        let sql = monthly_metering_sql(Dialect::Trino, "t", &book(), false, MeteringBasis::Sum);
        // HTTP: $1.00/M to 300 M, then $0.90/M; REST's four tiers; all at one scale (8).
        assert!(sql.contains("LEAST(http_units, 300000000) - 0"), "{sql}");
        assert!(sql.contains("'0.00000090' AS DECIMAL(9, 8)"), "{sql}");
        assert!(
            sql.contains("GREATEST(0, rest_units - 20000000000)"),
            "{sql}"
        );
        assert!(sql.contains("'0.00000151' AS DECIMAL(9, 8)"), "{sql}");
        assert!(
            !sql.contains("LEAST(http_units, 1000000)"),
            "free tier is off"
        );
        let free = monthly_metering_sql(Dialect::Trino, "t", &book(), true, MeteringBasis::Sum);
        assert!(free.contains("GREATEST(LEAST(http_units, 1000000), 300000000)"));
        assert!(free.contains("LEAST(ws_connection_minutes, 750000)"));
    }

    #[test]
    fn unbilled_types_and_basis_are_applied() {
        let sql = monthly_metering_sql(Dialect::DuckDb, "t", &book(), false, MeteringBasis::Max);
        assert!(sql.contains("'UNAUTHORIZED'") && sql.contains("'QUOTA_EXCEEDED'"));
        assert!(sql.contains(
            "COALESCE(data_processed, GREATEST(request_bytes, response_bytes)) + 524287) // 524288"
        ));
        let mut b = book();
        b.unbilled_error_types.clear();
        b.rest_api.streaming_increment_bytes = Some(10 * 1024 * 1024);
        b.websocket.count_connect_disconnect = true;
        let sql = monthly_metering_sql(Dialect::Spark, "t", &b, false, MeteringBasis::Sum);
        assert!(sql.contains("NOT (FALSE)"));
        assert!(sql.contains("(response_bytes + 10485759) div 10485760"));
        assert!(sql.contains("WHEN kind IN ('CONNECT', 'DISCONNECT') THEN 1"));
    }

    #[test]
    fn sources_declare_every_column_the_query_reads() {
        let sql = monthly_metering_sql(Dialect::DuckDb, "t", &book(), false, MeteringBasis::Sum);
        let src = duckdb_json_source("logs/it's/*.jsonl");
        let ddl = athena_json_table_ddl("gw.access", "s3://b/logs/");
        let spark = spark_json_view_sql("access_logs", "s3a://b/logs/");
        for c in LOG_COLUMNS {
            let read = sql.contains(&format!(" {c} AS ")) || sql.contains(&format!("({c})"));
            assert!(read, "query does not read {c}");
        }
        for c in KNOWN_FIELDS {
            assert!(src.contains(&format!("{c}: 'VARCHAR'")), "{src}");
            assert!(ddl.contains(&format!("  `{c}` string")), "{ddl}");
            assert!(spark.contains(&format!("  `{c}` STRING")), "{spark}");
        }
        assert!(ddl.contains("`stage` string") && ddl.contains("`user` string"));
        assert!(spark.starts_with("CREATE OR REPLACE TEMPORARY VIEW access_logs ("));
        assert!(
            spark.contains("USING json\nOPTIONS (path 's3a://b/logs/')"),
            "{spark}"
        );
        assert!(src.starts_with("read_json('logs/it''s/*.jsonl'"), "{src}");
        assert!(ddl.contains("LOCATION 's3://b/logs/'"), "{ddl}");
    }

    #[test]
    fn quotes_in_names_cannot_break_out() {
        let mut b = book();
        b.unbilled_error_types = vec!["it's".into()];
        b.meta.name = "x\nDROP TABLE logs".into();
        let sql = monthly_metering_sql(Dialect::Trino, "t", &b, false, MeteringBasis::Sum);
        assert!(sql.contains("'IT''S'"));
        assert!(sql.lines().all(|l| !l.starts_with("DROP")));
    }
}
