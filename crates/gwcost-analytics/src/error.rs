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
    /// A file or directory exists but could not be read (permissions, I/O, bad gzip).
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    /// polars could not read a Parquet file or an NDJSON buffer.
    #[error("{path}: {message}")]
    Polars { path: String, message: String },
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
                source,
            }
        }
    }
}
