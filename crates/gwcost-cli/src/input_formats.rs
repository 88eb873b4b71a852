//! `--log-format` and `--input-format`, shared by every command that reads logs (`analyze`,
//! `compare`, `report`, `convert`).

use std::sync::Arc;

use anyhow::Result;
use clap::Args;
use gwcost_analytics::{InputFormat, LogFormat};

#[derive(Debug, Clone, Default, Args)]
pub struct FormatArgs {
    /// The stage's access-log format: the template text itself (`{"rid":"$context.requestId",
    /// …}`, CLF or CSV) or `@FILE` holding it, as `aws apigateway get-stage` prints it.
    /// Without it, the schema's names and AWS's documented example formats are read.
    #[arg(long, value_name = "TEMPLATE|@FILE")]
    pub log_format: Option<String>,
    /// Read every input as this format instead of recognising it: lines, csv, parquet,
    /// cloudwatch-export, firehose, log-events, insights-csv, insights-json.
    #[arg(long, value_name = "FORMAT")]
    pub input_format: Option<String>,
}

impl FormatArgs {
    /// The parsed template and format.
    pub fn resolve(&self) -> Result<(Option<Arc<LogFormat>>, Option<InputFormat>)> {
        let log_format = self
            .log_format
            .as_deref()
            .map(gwcost_analytics::read_log_format)
            .transpose()?
            .map(Arc::new);
        let input_format = self
            .input_format
            .as_deref()
            .map(str::parse::<InputFormat>)
            .transpose()?;
        Ok((log_format, input_format))
    }
}
