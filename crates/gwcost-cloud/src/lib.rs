//! Reads access logs where they live on AWS, as byte streams gwcost-analytics bills like local
//! files: every object under an S3 prefix (`s3://bucket/prefix/`), and a CloudWatch Logs log
//! group's events (`cloudwatch://LOG_GROUP?stream=PREFIX`).
//!
//! Credentials, region and endpoint come from the AWS SDK for Rust's standard chain, as in every
//! AWS tool: environment variables, `~/.aws/config` and `~/.aws/credentials` profiles
//! (`--profile` / `AWS_PROFILE`), SSO, web identity, container and instance roles;
//! `AWS_REGION` or the profile's region unless a region is given; `AWS_ENDPOINT_URL` and the
//! per-service `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS` for S3-compatible
//! stores and local endpoints. Nothing here prints or keeps a credential.
//!
//! S3 objects are streamed, never staged on disk: each object is one GET whose body chunks pass
//! through a small bounded channel to the reader, and while one object is read the next few
//! are already being fetched ([`AwsOptions::fetch_ahead`]), so many small objects (Firehose
//! deliveries, export files) do not wait on one round trip each. Memory stays bounded by
//! `fetch_ahead × CHUNKS_BUFFERED` body chunks.
//!
//! CloudWatch Logs events are read with `FilterLogEvents`, page after page, the time range
//! pushed down, and handed to the readers as `aws logs filter-log-events --output json`
//! documents (`{"events":[{"logStreamName":…,"timestamp":…,"message":…,"ingestionTime":…,
//! "eventId":…}],"nextToken":…}`), one line per page, written as the pages arrive. Throttling (and other retryable errors) is
//! retried by the SDK's standard retry mode with exponential backoff and jitter, up to
//! [`MAX_ATTEMPTS`] attempts per call.
//!
//! Not in gwcost-analytics because that crate must not link a network stack: this crate
//! produces [`StreamSource`]s and the CLI hands them over as `Input::Stream`s.

use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
use aws_sdk_cloudwatchlogs::error::SdkError;
use aws_smithy_http_client::tls;
use bytes::Bytes;
use gwcost_analytics::StreamSource;
use tokio::sync::mpsc;

/// Attempts per AWS call (the first and its retries) when AWS throttles or fails transiently.
/// The SDK's standard mode waits a random 0..2^n s before retry n (full jitter, at most 20 s),
/// so five attempts ride out up to about 15 s of throttling, and an endpoint that refuses
/// connections is reported within that time rather than after minutes.
pub const MAX_ATTEMPTS: u32 = 5;

/// Body chunks (each what one socket read gave, typically 8–64 KB) buffered per object being
/// fetched before its download waits for the reader.
const CHUNKS_BUFFERED: usize = 16;

/// How far a CloudWatch Logs time range is widened on each side when `--since`/`--until` are
/// pushed down. An event's CloudWatch timestamp is set by whoever wrote it and can differ from
/// the request time in its message (which is what gwcost dates and filters by); widening keeps
/// every event near the edges, and gwcost's own filter then keeps exactly the right ones.
pub const TIME_RANGE_MARGIN_MS: i64 = 60 * 60 * 1000;

/// What went wrong reaching AWS. Each names the bucket or log group and what AWS said.
#[derive(Debug, thiserror::Error)]
pub enum CloudError {
    /// A `s3://` or `cloudwatch://` argument that names no bucket or log group.
    #[error("{url}: {reason}")]
    BadLocation { url: String, reason: String },
    /// No region from `--region`, `AWS_REGION` or the profile.
    #[error(
        "{url}: no AWS region: give --region, set AWS_REGION, or set a region in the AWS profile"
    )]
    NoRegion { url: String },
    /// Listing an S3 prefix failed (no such bucket, access denied, …).
    #[error("s3://{bucket}/{prefix}: {message}")]
    S3 {
        bucket: String,
        prefix: String,
        message: String,
    },
    /// Reading a log group failed (no such group, access denied, …).
    #[error("cloudwatch://{group}: {message}")]
    Logs { group: String, message: String },
    /// The async runtime under the SDK could not start.
    #[error("starting the AWS client: {0}")]
    Runtime(#[from] io::Error),
}

/// How [`aws_message`] begins when AWS could not be asked at all (network, endpoint, timeout).
const UNREACHABLE: &str = "could not reach AWS";

impl CloudError {
    /// AWS could not be asked (no connection, a timeout, the client's runtime): a failure that
    /// retrying may fix (exit 1), where the others are the command's or the account's (exit 2).
    pub fn is_unreachable(&self) -> bool {
        match self {
            CloudError::S3 { message, .. } | CloudError::Logs { message, .. } => {
                message.starts_with(UNREACHABLE)
            }
            CloudError::Runtime(_) => true,
            CloudError::BadLocation { .. } | CloudError::NoRegion { .. } => false,
        }
    }
}

/// Where logs live, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// Every object under `prefix` (all of the bucket when empty).
    S3 { bucket: String, prefix: String },
    /// A log group's events, of the streams whose names start with `stream_prefix` if given.
    CloudWatch {
        group: String,
        stream_prefix: Option<String>,
    },
}

impl Location {
    /// `s3://bucket/prefix` or `cloudwatch://group[?stream=PREFIX]`; `None` for anything else
    /// (a local path).
    pub fn parse(url: &str) -> Option<Result<Self, CloudError>> {
        let bad = |reason: &str| {
            Some(Err(CloudError::BadLocation {
                url: url.to_owned(),
                reason: reason.to_owned(),
            }))
        };
        if let Some(rest) = strip_scheme(url, "s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return bad("no bucket (expected s3://BUCKET/PREFIX)");
            }
            return Some(Ok(Self::S3 {
                bucket: bucket.to_owned(),
                prefix: prefix.to_owned(),
            }));
        }
        let rest = strip_scheme(url, "cloudwatch://")?;
        let (group, query) = rest.split_once('?').unwrap_or((rest, ""));
        // Log group names contain `/` (`/aws/apigateway/…`, `API-Gateway-Execution-Logs_…/prod`).
        let group = group.strip_suffix('/').unwrap_or(group);
        if group.is_empty() {
            return bad("no log group (expected cloudwatch://LOG_GROUP[?stream=PREFIX])");
        }
        let mut stream_prefix = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("stream", v)) if !v.is_empty() => stream_prefix = Some(v.to_owned()),
                _ => return bad("the only option is ?stream=LOG_STREAM_PREFIX"),
            }
        }
        Some(Ok(Self::CloudWatch {
            group: group.to_owned(),
            stream_prefix,
        }))
    }

    /// As the user would write it.
    pub fn url(&self) -> String {
        match self {
            Self::S3 { bucket, prefix } => format!("s3://{bucket}/{prefix}"),
            Self::CloudWatch {
                group,
                stream_prefix: None,
            } => format!("cloudwatch://{group}"),
            Self::CloudWatch {
                group,
                stream_prefix: Some(p),
            } => format!("cloudwatch://{group}?stream={p}"),
        }
    }
}

fn strip_scheme<'a>(url: &'a str, scheme: &str) -> Option<&'a str> {
    let head = url.get(..scheme.len())?;
    head.eq_ignore_ascii_case(scheme)
        .then(|| &url[scheme.len()..])
}

/// How to reach AWS.
#[derive(Debug, Clone)]
pub struct AwsOptions {
    /// Overrides `AWS_REGION` and the profile's region.
    pub region: Option<String>,
    /// The `~/.aws` profile (default: `AWS_PROFILE`, then `default`).
    pub profile: Option<String>,
    /// S3 objects fetched ahead of the one being read.
    pub fetch_ahead: usize,
}

impl Default for AwsOptions {
    fn default() -> Self {
        Self {
            region: None,
            profile: None,
            fetch_ahead: 8,
        }
    }
}

/// What has been read so far, for progress and the closing summary. Shared with the reading
/// threads; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    inner: Arc<CountersInner>,
}

#[derive(Debug, Default)]
struct CountersInner {
    objects: AtomicU64,
    bytes: AtomicU64,
    pages: AtomicU64,
    events: AtomicU64,
}

impl Counters {
    /// S3 objects read to their end.
    pub fn objects(&self) -> u64 {
        self.inner.objects.load(Ordering::Relaxed)
    }
    /// Bytes received from S3 (as stored, before decompression).
    pub fn bytes(&self) -> u64 {
        self.inner.bytes.load(Ordering::Relaxed)
    }
    /// CloudWatch Logs `FilterLogEvents` pages received.
    pub fn pages(&self) -> u64 {
        self.inner.pages.load(Ordering::Relaxed)
    }
    /// CloudWatch Logs events received.
    pub fn events(&self) -> u64 {
        self.inner.events.load(Ordering::Relaxed)
    }
}

/// A connection to AWS: the SDK configuration resolved once, and the runtime its calls run on.
#[derive(Debug, Clone)]
pub struct Aws {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    runtime: tokio::runtime::Runtime,
    config: SdkConfig,
    fetch_ahead: usize,
}

impl Aws {
    /// Resolves credentials, region and endpoints from the standard chain (nothing is fetched
    /// until a location is read).
    pub fn connect(opts: &AwsOptions) -> Result<Self, CloudError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("gwcost-aws")
            .enable_all()
            .build()?;
        // rustls with ring rather than the SDK's default aws-lc: the same TLS stack the sidecar
        // builds, and no C/cmake build.
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http)
            .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
        if let Some(region) = &opts.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(profile) = &opts.profile {
            loader = loader.profile_name(profile);
        }
        let config = runtime.block_on(loader.load());
        Ok(Self {
            inner: Arc::new(Inner {
                runtime,
                config,
                fetch_ahead: opts.fetch_ahead.max(1),
            }),
        })
    }

    /// The byte streams of `location`: one per S3 object under the prefix (listed now, in key
    /// order, so an access error is reported before anything is read), or one for the log
    /// group. `range_ms` (`[since, until)` in ms since the epoch) narrows a log group's events.
    pub fn sources(
        &self,
        location: &Location,
        range_ms: (Option<i64>, Option<i64>),
        counters: &Counters,
    ) -> Result<Vec<StreamSource>, CloudError> {
        if self.inner.config.region().is_none() {
            return Err(CloudError::NoRegion {
                url: location.url(),
            });
        }
        match location {
            Location::S3 { bucket, prefix } => self.s3_sources(bucket, prefix, counters),
            Location::CloudWatch {
                group,
                stream_prefix,
            } => Ok(vec![self.log_group_source(
                location.url(),
                group,
                stream_prefix.clone(),
                range_ms,
                counters,
            )]),
        }
    }

    fn s3_client(&self) -> aws_sdk_s3::Client {
        let config = &self.inner.config;
        let mut builder = aws_sdk_s3::config::Builder::from(config);
        // S3-compatible stores and local endpoints (MinIO, moto, LocalStack) serve buckets as
        // paths; `bucket.localhost` would not resolve.
        if config.endpoint_url().is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some() {
            builder = builder.force_path_style(true);
        }
        aws_sdk_s3::Client::from_conf(builder.build())
    }

    fn s3_sources(
        &self,
        bucket: &str,
        prefix: &str,
        counters: &Counters,
    ) -> Result<Vec<StreamSource>, CloudError> {
        let client = self.s3_client();
        let err = |message: String| CloudError::S3 {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
            message,
        };
        let objects = self.inner.runtime.block_on(async {
            let mut pages = client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .into_paginator()
                .send();
            let mut objects = Vec::new();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| err(aws_message(&e)))?;
                for o in page.contents() {
                    let Some(key) = o.key() else { continue };
                    if listed_object_is_log(key) {
                        let size = o.size().and_then(|s| u64::try_from(s).ok());
                        objects.push((key.to_owned(), size));
                    }
                }
            }
            Ok::<_, CloudError>(objects)
        })?;
        let fetcher = Arc::new(Fetcher {
            aws: self.clone(),
            client,
            bucket: bucket.to_owned(),
            keys: objects.iter().map(|(k, _)| k.clone()).collect(),
            pending: Mutex::new(Prefetched::default()),
            counters: counters.clone(),
        });
        Ok(objects
            .into_iter()
            .enumerate()
            .map(|(i, (key, size))| {
                let fetcher = Arc::clone(&fetcher);
                StreamSource {
                    name: format!("s3://{bucket}/{key}"),
                    size,
                    open: Arc::new(move || fetcher.open(i)),
                }
            })
            .collect())
    }

    fn log_group_source(
        &self,
        name: String,
        group: &str,
        stream_prefix: Option<String>,
        (since, until): (Option<i64>, Option<i64>),
        counters: &Counters,
    ) -> StreamSource {
        let client = aws_sdk_cloudwatchlogs::Client::new(&self.inner.config);
        let query = LogQuery {
            group: group.to_owned(),
            stream_prefix,
            start: since.map(|s| s.saturating_sub(TIME_RANGE_MARGIN_MS).max(0)),
            // FilterLogEvents' endTime is inclusive; gwcost's `until` is exclusive.
            end: until.map(|u| u.saturating_add(TIME_RANGE_MARGIN_MS)),
        };
        let aws = self.clone();
        let counters = counters.clone();
        StreamSource {
            name,
            size: None,
            open: Arc::new(move || aws.open_log_group(&client, &query, &counters)),
        }
    }

    /// Fetches the first page now (so a missing group or a denied call is an error of the
    /// open, naming the group), then the rest in the background as the reader drains them.
    fn open_log_group(
        &self,
        client: &aws_sdk_cloudwatchlogs::Client,
        query: &LogQuery,
        counters: &Counters,
    ) -> io::Result<Box<dyn Read + Send>> {
        let first = self
            .inner
            .runtime
            .block_on(query.page(client, None))
            .map_err(io::Error::other)?;
        let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(CHUNKS_BUFFERED);
        let (client, query, counters) = (client.clone(), query.clone(), counters.clone());
        self.inner.runtime.spawn(async move {
            let mut page = first;
            let mut first_page = true;
            loop {
                counters.inner.pages.fetch_add(1, Ordering::Relaxed);
                let events: Vec<_> = page
                    .events()
                    .iter()
                    .filter(|e| query.keeps(e))
                    .cloned()
                    .collect();
                counters
                    .inner
                    .events
                    .fetch_add(events.len() as u64, Ordering::Relaxed);
                // Empty pages (FilterLogEvents returns them while it searches) say nothing,
                // except the first, so that a group without events is still a document.
                if first_page || !events.is_empty() {
                    let doc = page_document(&events, page.next_token());
                    if tx.send(doc.map(Bytes::from)).await.is_err() {
                        return;
                    }
                }
                first_page = false;
                let Some(token) = page.next_token().map(str::to_owned) else {
                    break;
                };
                page = match query.page(&client, Some(token)).await {
                    Ok(p) => p,
                    Err(e) => {
                        let _ = tx.send(Err(io::Error::other(e))).await;
                        return;
                    }
                };
            }
        });
        Ok(Box::new(ChannelReader::new(rx)))
    }
}

/// One event as `aws logs filter-log-events --output json` prints it (same keys, same order).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct PageEvent<'a> {
    log_stream_name: Option<&'a str>,
    timestamp: Option<i64>,
    message: Option<&'a str>,
    ingestion_time: Option<i64>,
    event_id: Option<&'a str>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Page<'a> {
    events: Vec<PageEvent<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<&'a str>,
}

/// One page of events as one `aws logs filter-log-events --output json` document on its own
/// line: `{"events":[{"logStreamName":…,"timestamp":…,"message":…,"ingestionTime":…,
/// "eventId":…},…],"nextToken":…}`. A log group is read as these documents one after the other
/// (what paging the CLI by hand gives), so no document is larger than one page (≤ 1 MB).
fn page_document(
    events: &[aws_sdk_cloudwatchlogs::types::FilteredLogEvent],
    next_token: Option<&str>,
) -> io::Result<Vec<u8>> {
    let page = Page {
        events: events
            .iter()
            .map(|e| PageEvent {
                log_stream_name: e.log_stream_name(),
                timestamp: e.timestamp(),
                message: e.message(),
                ingestion_time: e.ingestion_time(),
                event_id: e.event_id(),
            })
            .collect(),
        next_token,
    };
    let mut doc = serde_json::to_vec(&page).map_err(io::Error::other)?;
    doc.push(b'\n');
    Ok(doc)
}

/// One `FilterLogEvents` call's parameters.
#[derive(Debug, Clone)]
struct LogQuery {
    group: String,
    stream_prefix: Option<String>,
    start: Option<i64>,
    end: Option<i64>,
}

impl LogQuery {
    /// Whether an event belongs to the asked streams. CloudWatch Logs already filters by
    /// `logStreamNamePrefix`; checking again costs nothing and holds where an endpoint ignores
    /// the prefix (moto's FilterLogEvents does), so `?stream=` never reads another stream.
    fn keeps(&self, e: &aws_sdk_cloudwatchlogs::types::FilteredLogEvent) -> bool {
        self.stream_prefix
            .as_deref()
            .is_none_or(|p| e.log_stream_name().is_some_and(|n| n.starts_with(p)))
    }

    async fn page(
        &self,
        client: &aws_sdk_cloudwatchlogs::Client,
        token: Option<String>,
    ) -> Result<aws_sdk_cloudwatchlogs::operation::filter_log_events::FilterLogEventsOutput, String>
    {
        client
            .filter_log_events()
            .log_group_name(&self.group)
            .set_log_stream_name_prefix(self.stream_prefix.clone())
            .set_start_time(self.start)
            .set_end_time(self.end)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| aws_message(&e))
    }
}

/// Whether a listed key is a log to read: not a folder placeholder, and not the
/// `aws-logs-write-test` object a CloudWatch Logs export task leaves at the top of its prefix
/// ("Permission Check Successful"), which is no log.
fn listed_object_is_log(key: &str) -> bool {
    !key.ends_with('/') && key.rsplit('/').next() != Some("aws-logs-write-test")
}

/// What AWS said, in words: its error code and message when it answered (`NoSuchBucket: The
/// specified bucket does not exist`), else why it could not be asked (no credentials, connection
/// refused, timed out), each with what to check. The error's causes are joined by their
/// `Display` only (the SDK's `DisplayErrorContext` appends a `Debug` dump). Never a secret.
fn aws_message<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    if let Some(code) = err.code() {
        let said = match err.message() {
            Some(message) => format!("{code}: {message}"),
            None => code.to_owned(),
        };
        let check = match code {
            "AccessDenied" | "AccessDeniedException" | "AllAccessDisabled" => {
                "; check the credentials' IAM permissions (s3:ListBucket and s3:GetObject, or \
                 logs:FilterLogEvents)"
            }
            "NoSuchBucket" | "ResourceNotFoundException" | "PermanentRedirect" => {
                "; check the name and --region"
            }
            "InvalidAccessKeyId"
            | "SignatureDoesNotMatch"
            | "ExpiredToken"
            | "UnrecognizedClientException"
            | "InvalidClientTokenId" => {
                "; check the credentials (--profile, AWS_PROFILE, AWS_ACCESS_KEY_ID)"
            }
            _ => "",
        };
        return format!("{said}{check}");
    }
    let causes = error_causes(err);
    match err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            format!("{UNREACHABLE} ({causes}); check the network, --region and AWS_ENDPOINT_URL")
        }
        SdkError::ConstructionFailure(_) => format!(
            "could not make the request ({causes}); check the credentials (--profile, \
             AWS_PROFILE) and --region"
        ),
        _ => causes,
    }
}

/// An error and its sources, by `Display`, joined with `: ` (a cause already said by the one
/// before it is not repeated).
fn error_causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// GETs for the objects under one prefix: opening object `i` starts (or takes the already
/// started) download of `i` and starts the next [`AwsOptions::fetch_ahead`] ones.
#[derive(Debug)]
struct Fetcher {
    aws: Aws,
    client: aws_sdk_s3::Client,
    bucket: String,
    keys: Vec<String>,
    pending: Mutex<Prefetched>,
    counters: Counters,
}

#[derive(Debug, Default)]
struct Prefetched {
    /// Downloads started ahead and not yet opened.
    started: HashMap<usize, mpsc::Receiver<io::Result<Bytes>>>,
    /// Every object before this index has been started at least once.
    watermark: usize,
}

impl Fetcher {
    fn open(&self, i: usize) -> io::Result<Box<dyn Read + Send>> {
        let rx = {
            let mut p = self
                .pending
                .lock()
                .map_err(|_| io::Error::other("S3 fetcher state poisoned"))?;
            let rx = match p.started.remove(&i) {
                Some(rx) => rx,
                None => self.start(i),
            };
            let from = p.watermark.max(i + 1);
            let to = (i + 1 + self.aws.inner.fetch_ahead).min(self.keys.len());
            for j in from..to {
                let ahead = self.start(j);
                p.started.insert(j, ahead);
            }
            p.watermark = p.watermark.max(to).max(i + 1);
            rx
        };
        Ok(Box::new(ChannelReader::new(rx)))
    }

    /// Starts the GET of object `i`; its body arrives through the returned channel, and an
    /// error (access denied, a broken connection) arrives as the reader's error.
    fn start(&self, i: usize) -> mpsc::Receiver<io::Result<Bytes>> {
        let (tx, rx) = mpsc::channel(CHUNKS_BUFFERED);
        let key = self.keys.get(i).cloned().unwrap_or_default();
        let (client, bucket, counters) = (
            self.client.clone(),
            self.bucket.clone(),
            self.counters.clone(),
        );
        self.aws.inner.runtime.spawn(async move {
            let out = match client.get_object().bucket(&bucket).key(&key).send().await {
                Ok(out) => out,
                Err(e) => {
                    let _ = tx.send(Err(io::Error::other(aws_message(&e)))).await;
                    return;
                }
            };
            let mut body = out.body;
            loop {
                match body.next().await {
                    Some(Ok(chunk)) => {
                        counters
                            .inner
                            .bytes
                            .fetch_add(chunk.len() as u64, Ordering::Relaxed);
                        if tx.send(Ok(chunk)).await.is_err() {
                            return;
                        }
                    }
                    Some(Err(e)) => {
                        let _ = tx.send(Err(io::Error::other(error_causes(&e)))).await;
                        return;
                    }
                    None => break,
                }
            }
            counters.inner.objects.fetch_add(1, Ordering::Relaxed);
        });
        rx
    }
}

/// A blocking reader over chunks sent by an async task.
struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    chunk: Bytes,
    done: bool,
}

impl ChannelReader {
    fn new(rx: mpsc::Receiver<io::Result<Bytes>>) -> Self {
        Self {
            rx,
            chunk: Bytes::new(),
            done: false,
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            if self.done {
                return Ok(0);
            }
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.chunk = chunk,
                Some(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                None => self.done = true,
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        let p = |s: &str| Location::parse(s).map(|r| r.map_err(|e| e.to_string()));
        assert_eq!(p("logs/a.jsonl"), None);
        assert_eq!(p("-"), None);
        assert_eq!(
            p("s3://my-bucket/exports/2026/"),
            Some(Ok(Location::S3 {
                bucket: "my-bucket".into(),
                prefix: "exports/2026/".into()
            }))
        );
        assert_eq!(
            p("S3://b"),
            Some(Ok(Location::S3 {
                bucket: "b".into(),
                prefix: String::new()
            }))
        );
        assert_eq!(
            p("cloudwatch:///aws/apigateway/welcome?stream=2026"),
            Some(Ok(Location::CloudWatch {
                group: "/aws/apigateway/welcome".into(),
                stream_prefix: Some("2026".into())
            }))
        );
        assert_eq!(
            p("cloudwatch://API-Gateway-Execution-Logs_abc/prod/"),
            Some(Ok(Location::CloudWatch {
                group: "API-Gateway-Execution-Logs_abc/prod".into(),
                stream_prefix: None
            }))
        );
        let err = p("s3:///x").unwrap().unwrap_err();
        assert!(
            err.contains("s3:///x") && err.contains("no bucket"),
            "{err}"
        );
        let err = p("cloudwatch://g?limit=3").unwrap().unwrap_err();
        assert!(err.contains("?stream="), "{err}");
        assert!(p("cloudwatch://").unwrap().is_err());
    }

    #[test]
    fn export_markers_and_folders_are_not_logs() {
        assert!(listed_object_is_log("exports/abc/stream/000000.gz"));
        assert!(listed_object_is_log(
            "firehose/2026/10/01/00/d-1-2026-10-01-00-00-00-x"
        ));
        assert!(!listed_object_is_log("exports/aws-logs-write-test"));
        assert!(!listed_object_is_log("aws-logs-write-test"));
        assert!(!listed_object_is_log("exports/abc/"));
    }

    #[test]
    fn pages_are_filter_log_events_documents() {
        use aws_sdk_cloudwatchlogs::types::FilteredLogEvent;
        let events = [
            FilteredLogEvent::builder()
                .log_stream_name("prod-1")
                .timestamp(1_790_812_800_000)
                .message("{\"requestId\":\"a\"}\n")
                .ingestion_time(1_790_812_800_500)
                .event_id("e1")
                .build(),
            FilteredLogEvent::builder().message("x").build(),
        ];
        let doc = page_document(&events, Some("tok")).unwrap();
        assert!(doc.ends_with(b"}\n") && !doc[..doc.len() - 1].contains(&b'\n'));
        let text = String::from_utf8(doc).unwrap();
        assert!(
            text.starts_with(r#"{"events":[{"logStreamName":"prod-1","timestamp":1790812800000,"message":"{\"requestId\":\"a\"}\n","ingestionTime":1790812800500,"eventId":"e1"}"#),
            "{text}"
        );
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["events"][0]["message"], "{\"requestId\":\"a\"}\n");
        assert_eq!(v["events"][1]["message"], "x");
        assert_eq!(v["nextToken"], "tok");
        let last = page_document(&[], None).unwrap();
        assert_eq!(last, b"{\"events\":[]}\n");
    }

    #[test]
    fn channel_reader_reads_across_chunks_and_reports_errors() {
        let (tx, rx) = mpsc::channel(4);
        tx.try_send(Ok(Bytes::from_static(b"hello "))).unwrap();
        tx.try_send(Ok(Bytes::from_static(b"world"))).unwrap();
        tx.try_send(Err(io::Error::other("AccessDenied: no")))
            .unwrap();
        drop(tx);
        let mut r = ChannelReader::new(rx);
        let mut buf = [0u8; 4];
        let mut got = Vec::new();
        let err = loop {
            match r.read(&mut buf) {
                Ok(0) => panic!("end before the error"),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => break e,
            }
        };
        assert_eq!(got, b"hello world");
        assert!(err.to_string().contains("AccessDenied"));
        assert_eq!(r.read(&mut buf).unwrap(), 0);
    }
}
