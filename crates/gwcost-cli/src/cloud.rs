//! `s3://BUCKET/PREFIX` and `cloudwatch://LOG_GROUP[?stream=PREFIX]` arguments: turned into
//! `Input::Stream`s by gwcost-cloud (the AWS SDK for Rust), read by the same readers as local
//! files. Built with the default `aws` cargo feature; without it such an argument is an error
//! that says how to get it.

use anyhow::Result;
use gwcost_analytics::Input;

pub use crate::cli::CloudArgs;

/// The inputs, local and remote, and what was read from where (for the closing line).
#[derive(Debug, Default)]
pub struct Resolved {
    pub inputs: Vec<Input>,
    #[cfg(feature = "aws")]
    read: Vec<(gwcost_cloud::Location, gwcost_cloud::Counters)>,
}

#[cfg_attr(feature = "aws", allow(dead_code))]
fn is_cloud(path: &str) -> bool {
    ["s3://", "cloudwatch://"].iter().any(|scheme| {
        path.get(..scheme.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(scheme))
    })
}

/// Turns each argument into inputs: `-` is stdin, `s3://…` every object under the prefix,
/// `cloudwatch://…` the log group's events in `range_ms` (`[since, until)`, pushed down to
/// CloudWatch Logs), anything else a local path.
#[cfg(feature = "aws")]
pub fn resolve(
    paths: &[String],
    args: &CloudArgs,
    region: Option<&str>,
    range_ms: (Option<i64>, Option<i64>),
) -> Result<Resolved> {
    use gwcost_cloud::{Aws, AwsOptions, Counters, Location};
    let mut out = Resolved::default();
    let mut aws: Option<Aws> = None;
    for path in paths {
        let Some(location) = Location::parse(path) else {
            out.inputs.push(Input::parse(path));
            continue;
        };
        let location = location?;
        let aws = match &mut aws {
            Some(a) => a,
            None => aws.insert(Aws::connect(&AwsOptions {
                region: region.map(str::to_owned),
                profile: args.profile.clone(),
                ..AwsOptions::default()
            })?),
        };
        let counters = Counters::default();
        let sources = aws.sources(&location, range_ms, &counters)?;
        if sources.is_empty() {
            anyhow::bail!("{}: no objects under this prefix", location.url());
        }
        out.inputs.extend(sources.into_iter().map(Input::Stream));
        out.read.push((location, counters));
    }
    Ok(out)
}

#[cfg(not(feature = "aws"))]
pub fn resolve(
    paths: &[String],
    _args: &CloudArgs,
    _region: Option<&str>,
    _range_ms: (Option<i64>, Option<i64>),
) -> Result<Resolved> {
    if let Some(p) = paths.iter().find(|p| is_cloud(p)) {
        anyhow::bail!(
            "{p}: this gwcost was built without AWS support; build it with the default \
             `aws` feature (cargo install --path crates/gwcost-cli)"
        );
    }
    Ok(Resolved {
        inputs: paths.iter().map(|p| Input::parse(p)).collect(),
    })
}

impl Resolved {
    /// One line per remote location on stderr: how many objects and bytes, or events and
    /// pages, were read from it.
    pub fn say_what_was_read(&self) {
        #[cfg(feature = "aws")]
        for (location, c) in &self.read {
            match location {
                gwcost_cloud::Location::S3 { .. } => eprintln!(
                    "gwcost: read {} ({}) from {}",
                    crate::common::plural(c.objects(), "object", "objects"),
                    crate::common::plural(c.bytes(), "byte", "bytes"),
                    location.url()
                ),
                gwcost_cloud::Location::CloudWatch { .. } => eprintln!(
                    "gwcost: read {} in {} from {}",
                    crate::common::plural(c.events(), "event", "events"),
                    crate::common::plural(c.pages(), "page", "pages"),
                    location.url()
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_cloud;

    #[test]
    fn cloud_arguments_are_recognised() {
        assert!(is_cloud("s3://b/p/"));
        assert!(is_cloud("S3://b"));
        assert!(is_cloud("cloudwatch://g"));
        assert!(!is_cloud("s3"));
        assert!(!is_cloud("logs/s3://x"));
        assert!(!is_cloud("-"));
    }
}
