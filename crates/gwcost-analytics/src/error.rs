//! Errors that stop an analysis: inputs that cannot be found or read. A malformed *line* is not an
//! error here; it is counted in the [`crate::Analysis`].

use std::io;

use thiserror::Error;

/// Why the inputs could not be analyzed.
#[derive(Debug, Error)]
pub enum AnalyticsError {
    /// A path named on the command line does not exist.
    #[error("{path}: no such file or directory")]
    NotFound { path: String },
    /// A file or directory exists but could not be read (permissions, I/O, bad gzip). The
    /// I/O error is said in the message and not chained as a source, so `{:#}` says it once.
    #[error("{path}: {error}")]
    Io { path: String, error: io::Error },
    /// polars could not read a Parquet file or an NDJSON buffer.
    #[error("{path}: {message}")]
    Polars { path: String, message: String },
    /// A `--log-format` template gwcost cannot use; the message says why.
    #[error("--log-format: {0}")]
    BadLogFormat(String),
    /// An `--input-format` name gwcost does not know.
    #[error("--input-format {given:?}: expected one of {expected}")]
    BadInputFormat { given: String, expected: String },
    /// Nothing in the inputs was understood: every line was malformed, or the content was a
    /// container holding no log events. Each input's shape is named, so the user is not left
    /// with a quiet $0.00.
    #[error("nothing in the input was understood as an access log:\n{}", .shapes.join("\n"))]
    NothingUnderstood { shapes: Vec<String> },
    /// No file of the inputs could be read at all (a directory with no log in it, every file
    /// damaged from its first byte): what was seen is named, so no one gets a quiet $0.00.
    #[error("nothing readable in the input: {}", .seen.join("; "))]
    NothingReadable { seen: Vec<String> },
    /// A file broke partway under `--strict` (without it, the file is counted as damaged and
    /// what came before the break is billed).
    #[error("{0} (--strict)")]
    Damaged(String),
    /// `--since`/`--until` value that is not a calendar date.
    #[error("invalid date {value:?}: expected YYYY-MM-DD")]
    BadDate { value: String },
}

impl AnalyticsError {
    pub(crate) fn io(path: &str, source: io::Error) -> Self {
        if source.kind() == io::ErrorKind::NotFound {
            Self::NotFound {
                path: path.to_owned(),
            }
        } else {
            Self::Io {
                path: path.to_owned(),
                error: source,
            }
        }
    }
}
