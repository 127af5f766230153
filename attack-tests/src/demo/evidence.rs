//! The evidence after the traffic: each inspector's counters from `/metrics` (fetched from
//! the netns that reaches it) and the last records of its audit log. The counters must show
//! at least one transaction per covered request sent, and no origin may have received a
//! request without the inspector's signed marker: proof that covered traffic went through an
//! inspector.

use crate::Error;
use crate::lab::Facts;
use crate::lab::bins::Binaries;
use crate::lab::procs::in_netns;

/// `(series, value)` of the samples of `metric` in an OpenMetrics text.
pub fn samples<'a>(text: &'a str, metric: &str) -> Vec<(&'a str, f64)> {
    text.lines()
        .filter(|l| l.starts_with(metric) && l[metric.len()..].starts_with(['{', ' ']))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            Some((series, value.parse().ok()?))
        })
        .collect()
}

/// Prints the counters and audit records; the problems found.
pub fn show(bins: &Binaries, facts: &Facts, covered_requests: usize, since_ms: u128) -> Result<Vec<String>, Error> {
    let mut problems = Vec::new();
    let mut transactions = 0.0;
    for insp in &facts.inspectors {
        let text: String = in_netns(bins, &insp.metrics_netns, &["lab-get", &insp.metrics_url], None::<&()>)
            .map_err(|e| Error::Peer(format!("scraping {}: {e}", insp.metrics_url)))?;
        let mut requests = samples(&text, "chainwall_requests_total");
        requests.sort_by(|a, b| a.0.cmp(b.0));
        transactions += requests.iter().map(|(_, v)| v).sum::<f64>();
        println!("inspector in {} ({}):", insp.netns, insp.metrics_url);
        for (series, value) in requests.iter().filter(|(_, v)| *v > 0.0) {
            println!("  {series} {value}");
        }
        let mut blocked = samples(&text, "chainwall_blocked_total");
        blocked.retain(|(_, v)| *v > 0.0);
        blocked.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (series, value) in blocked.iter().take(8) {
            println!("  {series} {value}");
        }
        if blocked.len() > 8 {
            println!("  ... {} more chainwall_blocked_total series", blocked.len() - 8);
        }
        let text = std::fs::read_to_string(&insp.audit_log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        println!("  audit log {} ({} records), the last 5:", insp.audit_log.display(), lines.len());
        for line in lines.iter().rev().take(5).rev() {
            println!("    {}", audit_summary(line));
        }
    }
    // Every HTTP request the demo sends (from `since_ms` on) is covered: none may reach an
    // origin unsigned.
    let apps: Vec<&str> =
        facts.pods.iter().filter(|p| p.ports.iter().any(|x| x.server == "http")).map(|p| p.app.as_str()).collect();
    let count = |app: &str| facts.unsigned(app).iter().filter(|(at, _)| *at >= since_ms).count();
    let unsigned: Vec<(&str, usize)> = apps.iter().map(|app| (*app, count(app))).collect();
    let shown: Vec<String> = unsigned.iter().map(|(app, n)| format!("{app} {n}")).collect();
    println!("requests that reached an origin without the inspector's signed marker: {}", shown.join(", "));
    for (app, n) in unsigned.iter().filter(|(_, n)| *n > 0) {
        problems.push(format!("{n} requests reached {app} without the inspector's signed marker"));
    }
    #[allow(clippy::cast_precision_loss)]
    if transactions < covered_requests as f64 {
        problems.push(format!(
            "the inspectors counted {transactions} transactions for {covered_requests} covered requests"
        ));
    }
    Ok(problems)
}

fn audit_summary(line: &str) -> String {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { return line.chars().take(160).collect() };
    let s = |k: &str| v.get(k).and_then(serde_json::Value::as_str).unwrap_or("-").to_owned();
    let ids: Vec<String> = v
        .get("messages")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| m.get("id").and_then(serde_json::Value::as_u64).map(|id| id.to_string()))
        .collect();
    let uri: String = s("uri").chars().take(60).collect();
    let why = v.get("reason").and_then(serde_json::Value::as_str).map(|r| format!(" ({r})")).unwrap_or_default();
    format!(
        "{} {} {} {} {} {} rules [{}]{why}",
        s("time"),
        s("verdict"),
        s("policy"),
        s("destination"),
        s("method"),
        uri,
        ids.join(",")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_read_from_openmetrics_text() {
        let text = "# TYPE chainwall_requests counter\nchainwall_requests_total{verdict=\"block\"} 3\n\
                    chainwall_requests_total{verdict=\"pass\"} 4\nchainwall_requests_created 1.7e9\n";
        assert_eq!(samples(text, "chainwall_requests_total").iter().map(|s| s.1).sum::<f64>(), 7.0);
    }
}
