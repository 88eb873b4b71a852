//! Turns `--log-format` and `--input-format` ([`FormatArgs`]) into what the readers take.

use std::sync::Arc;

use anyhow::Result;
use gwcost_analytics::{InputFormat, LogFormat};

use crate::cli::FormatArgs;

/// The parsed template (read from `@FILE` when so given) and the forced input format.
pub(crate) fn resolve(a: &FormatArgs) -> Result<(Option<Arc<LogFormat>>, Option<InputFormat>)> {
    let log_format = a
        .log_format
        .as_deref()
        .map(gwcost_analytics::read_log_format)
        .transpose()?
        .map(Arc::new);
    let input_format = a
        .input_format
        .as_deref()
        .map(str::parse::<InputFormat>)
        .transpose()?;
    Ok((log_format, input_format))
}
