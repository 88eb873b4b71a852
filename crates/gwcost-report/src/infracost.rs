//! `gwcost compare --format infracost-usage`: the observed traffic as an infracost usage file, so
//! infracost estimates Terraform plans from real usage instead of assumed averages.
//!
//! Mapping (infracost's usage keys as its `aws_apigatewayv2_api` and `aws_api_gateway_rest_api`
//! resources read them, usage file `version: 0.1`):
//!
//! | infracost key                                   | gwcost value (one month)                  |
//! |-------------------------------------------------|-------------------------------------------|
//! | `aws_apigatewayv2_api.monthly_requests`         | HTTP API billed units (512 KB increments)  |
//! | `aws_apigatewayv2_api.request_size_kb`          | 512                                       |
//! | `aws_apigatewayv2_api.monthly_messages`         | WebSocket billed messages (32 KB units)   |
//! | `aws_apigatewayv2_api.message_size_kb`          | 32                                        |
//! | `aws_apigatewayv2_api.monthly_connection_mins`  | WebSocket connection minutes              |
//! | `aws_api_gateway_rest_api.monthly_requests`     | REST API billed units                     |
//!
//! infracost bills `monthly_requests × ceil(request_size_kb / 512)`: from one *average* size, so
//! a few large payloads among many small ones are under-counted. gwcost has already metered every
//! request on its own, so it writes the metered units with a size of exactly one increment, and
//! infracost multiplies by one. The same for WebSocket's 32 KB. Values go under
//! `resource_type_default_usage` (gwcost cannot know the Terraform addresses); one
//! `aws_apigatewayv2_api` entry serves both HTTP and WebSocket APIs (infracost reads the request
//! keys for HTTP, the message keys for WebSocket).
//!
//! Which month: the busiest (most requests, then most WebSocket messages; the later on a tie),
//! since a usage file describes one month; every month's values are listed in comments.

use crate::compare::{CompareMonth, CompareReport};

fn busiest(r: &CompareReport) -> Option<&CompareMonth> {
    r.months.iter().max_by(|a, b| {
        let key = |m: &CompareMonth| {
            (
                m.comparison.http_api.requests,
                m.comparison.websocket.billed_messages,
            )
        };
        key(a).cmp(&key(b))
    })
}

/// The infracost usage file (YAML) for the busiest month of `r`.
pub(crate) fn render_infracost_usage(r: &CompareReport) -> String {
    let mut out = String::new();
    out.push_str("# infracost usage file written by `gwcost compare --format infracost-usage` from observed traffic.\n");
    out.push_str("# Use it with: infracost breakdown --path . --usage-file infracost-usage.yml\n");
    out.push_str("#\n");
    out.push_str(
        "# gwcost metered every request on its own (a 600 KB request is 2 HTTP API units), so\n",
    );
    out.push_str("# monthly_requests is the metered units and request_size_kb is one 512 KB increment: infracost\n");
    out.push_str("# multiplies by ceil(request_size_kb / 512) = 1 and bills exactly those units. The same for\n");
    out.push_str(
        "# WebSocket: monthly_messages is the metered 32 KB units and message_size_kb is 32.\n",
    );
    let Some(m) = busiest(r) else {
        out.push_str("# The input had no traffic: nothing to write.\nversion: 0.1\n");
        return out;
    };
    out.push_str(&format!(
        "# Month: {} (the busiest of {} month{} read).\n",
        m.month,
        r.months.len(),
        if r.months.len() == 1 { "" } else { "s" }
    ));
    out.push_str(
        "#\n# Every month (HTTP units, REST units, WebSocket messages, connection minutes):\n",
    );
    for other in &r.months {
        let c = &other.comparison;
        out.push_str(&format!(
            "#   {}: {} / {} / {} / {}\n",
            other.month,
            c.http_api.billed_units,
            c.rest_api.billed_units,
            c.websocket.billed_messages,
            c.websocket.connection_minutes
        ));
    }
    let c = &m.comparison;
    let oversize = c.oversize.requests.unwrap_or(0);
    out.push_str("version: 0.1\n");
    out.push_str("resource_type_default_usage:\n");
    out.push_str("  aws_apigatewayv2_api:\n");
    out.push_str(&format!(
        "    monthly_requests: {} # HTTP API: {} requests metered as {} units ({} over 512 KB).\n",
        c.http_api.billed_units, c.http_api.requests, c.http_api.billed_units, oversize
    ));
    out.push_str(
        "    request_size_kb: 512 # One increment: the units above are already metered.\n",
    );
    out.push_str(&format!(
        "    monthly_messages: {} # WebSocket: {} messages metered as {} units.\n",
        c.websocket.billed_messages, c.websocket.messages, c.websocket.billed_messages
    ));
    out.push_str("    message_size_kb: 32 # One increment: the units above are already metered.\n");
    out.push_str(&format!(
        "    monthly_connection_mins: {} # WebSocket: {} connections.\n",
        c.websocket.connection_minutes, c.websocket.connections
    ));
    out.push_str("  aws_api_gateway_rest_api:\n");
    out.push_str(&format!(
        "    monthly_requests: {} # REST API: billable requests (one unit each).\n",
        c.rest_api.billed_units
    ));
    out
}
