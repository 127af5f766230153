//! `attack-tests report`: the differential run (our corpus, and optionally gotestwaf's
//! payloads × encoders × placeholders, through our engine and nginx + ModSecurity + CRS)
//! read as a detection report: per attack family, per encoding/placement, and the false
//! positives of the benign sets (our `ok-*` requests, gotestwaf's `false-pos`), ours and the
//! peer side by side. "Detected" is the verdict: a blocking rule (949110 etc.) matched.
//!
//! Groups come from the request ids: `family-variant-NNN` in our corpus (`ok` is benign),
//! `gtw-SET:FILE-N-ENCODER-PLACEHOLDER` for gotestwaf. Totals per source, and overall when there are two.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::compare::{Case, Verdict};
use crate::conf::EngineMode;
use crate::run::{Options, run};
use crate::{Error, corpus, default_corpus, gotestwaf};

/// `attack-tests report` flags.
#[derive(Clone, Debug, Args)]
pub struct ReportArgs {
    /// Corpus directory (*.yaml).
    #[arg(long, env = "ATTACK_TESTS_CORPUS", default_value_os_t = default_corpus())]
    pub corpus: PathBuf,
    /// Also the payloads of a gotestwaf testcases checkout.
    #[arg(long, env = "ATTACK_TESTS_GOTESTWAF")]
    pub gotestwaf: Option<PathBuf>,
    /// CRS paranoia level of both sides.
    #[arg(long, env = "ATTACK_TESTS_PARANOIA", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=4))]
    pub paranoia: u8,
    /// Print the rows as JSON on stdout.
    #[arg(long, env = "ATTACK_TESTS_JSON")]
    pub json: bool,
}

/// One row: a group of requests and how many each side blocked.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Row {
    /// `family`, `encoding/placement`, `false positives`, `total`.
    pub section: String,
    /// The group.
    pub group: String,
    /// Requests compared.
    pub sent: usize,
    /// Blocked by our engine.
    pub ours: usize,
    /// Blocked by ModSecurity.
    pub modsec: usize,
}

const SECTIONS: [&str; 4] = ["family", "encoding/placement", "false positives", "total"];

/// The groups of one request id.
fn groups(id: &str) -> Vec<(&'static str, String)> {
    if let Some(rest) = id.strip_prefix("gtw-") {
        let mut parts = rest.rsplitn(4, '-');
        let (place, enc, _, file) = (parts.next(), parts.next(), parts.next(), parts.next().unwrap_or(rest));
        let (set, stem) = file.split_once(':').unwrap_or(("", file));
        if set == "false-pos" {
            return vec![("false positives", format!("gtw {set}/{stem}")), ("total", "benign, gotestwaf".into())];
        }
        let mut out = vec![("family", format!("gtw {set}/{stem}")), ("total", "attacks, gotestwaf".into())];
        out.extend(enc.map(|e| ("encoding/placement", format!("gtw encoder {e}"))));
        out.extend(place.map(|p| ("encoding/placement", format!("gtw placeholder {p}"))));
        return out;
    }
    let parts: Vec<&str> = id.split('-').collect();
    let family = parts.first().copied().unwrap_or(id);
    let variant = parts.get(1..parts.len().saturating_sub(1)).map(|v| v.join("-")).unwrap_or_default();
    if family == "ok" {
        return vec![("false positives", format!("ok {variant}")), ("total", "benign, corpus".into())];
    }
    let mut out = vec![("family", family.to_string()), ("total", "attacks, corpus".into())];
    // `proto-*` variants name the protocol defect, not an encoding or a placement.
    if family != "proto" {
        out.push(("encoding/placement", format!("corpus {variant}")));
    }
    out
}

/// Aggregates the compared cases into rows, sorted by section then group.
pub fn rows(cases: &[Case]) -> Vec<Row> {
    let mut by: BTreeMap<(usize, String), Row> = BTreeMap::new();
    for case in cases {
        let blocked = |v: Verdict| usize::from(v != Verdict::Pass);
        let ids = groups(&case.id);
        let overall = ids
            .iter()
            .find(|(s, _)| *s == "total")
            .and_then(|(_, g)| Some(("total", g.split(',').next()?.to_string())));
        for (section, group) in ids.into_iter().chain(overall) {
            let order = SECTIONS.iter().position(|s| *s == section).unwrap_or(SECTIONS.len());
            let row = by.entry((order, group.clone())).or_insert_with(|| Row {
                section: section.into(),
                group,
                ..Row::default()
            });
            row.sent += 1;
            row.ours += blocked(case.ours.verdict);
            row.modsec += blocked(case.modsec.verdict);
        }
    }
    let mut rows: Vec<Row> = by.into_values().collect();
    // An overall total equal to its only per-source total says nothing new.
    let sources = |kind: &str| rows.iter().filter(|r| r.group.starts_with(&format!("{kind}, "))).count();
    let (attacks, benign) = (sources("attacks"), sources("benign"));
    rows.retain(|r| !(r.group == "attacks" && attacks == 1 || r.group == "benign" && benign == 1));
    rows
}

/// The table as text.
pub fn table(rows: &[Row]) -> String {
    let pct =
        |n: usize, d: usize| if d == 0 { "-".to_string() } else { format!("{:.1}%", n as f64 * 100.0 / d as f64) };
    let mut s = format!("{:<20} {:<42} {:>6} {:>8} {:>8}\n", "section", "group", "sent", "ours", "modsec");
    let mut last = "";
    for r in rows {
        if r.section != last && !last.is_empty() {
            s.push('\n');
        }
        last = &r.section;
        let _ = writeln!(
            s,
            "{:<20} {:<42} {:>6} {:>8} {:>8}",
            r.section,
            r.group,
            r.sent,
            pct(r.ours, r.sent),
            pct(r.modsec, r.sent)
        );
    }
    s.push_str("(attack rows: detection rate; false positives and benign: blocked benign requests)\n");
    s
}

/// Runs the command.
pub fn main(args: &ReportArgs) -> Result<ExitCode, Error> {
    let mut requests = corpus::load_dir(&args.corpus)?;
    if let Some(dir) = &args.gotestwaf {
        let (extra, skipped) = gotestwaf::load(dir);
        eprintln!("gotestwaf: {} requests from {} ({} files skipped)", extra.len(), dir.display(), skipped.len());
        requests.extend(extra);
    }
    let opts = Options {
        requests,
        paranoia: args.paranoia,
        engine: EngineMode::DetectionOnly,
        keep_temp: false,
        ftw_checks: None,
    };
    let report = run(&opts, &mut |line| eprintln!("{line}"))?;
    let rows = rows(&report.cases);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows).map_err(|e| Error::Config(e.to_string()))?);
    } else {
        println!(
            "detection report: PL{}, {} requests, {} compared ({} skipped: nginx answered before ModSecurity), {:.1} s",
            report.paranoia,
            report.requests,
            report.compared,
            report.skipped.len(),
            report.seconds
        );
        print!("{}", table(&rows));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::Side;

    fn case(id: &str, ours: bool, modsec: bool) -> Case {
        let side = |b: bool| Side::new(&Default::default(), if b { Verdict::Block(949110) } else { Verdict::Pass });
        Case { id: id.into(), ours: side(ours), modsec: side(modsec) }
    }

    #[test]
    fn ids_give_family_variant_and_benign_groups() {
        assert_eq!(groups("sqli-double-001")[2], ("encoding/placement", "corpus double".into()));
        assert_eq!(groups("proto-ctype-multi-001"), [("family", "proto".into()), ("total", "attacks, corpus".into())]);
        assert_eq!(groups("ok-get-003")[0], ("false positives", "ok get".into()));
        let g = groups("gtw-owasp:sql-injection-3-URL-param");
        assert_eq!(g[0], ("family", "gtw owasp/sql-injection".into()));
        assert_eq!(
            g[2..],
            [("encoding/placement", "gtw encoder URL".into()), ("encoding/placement", "gtw placeholder param".into())]
        );
        assert_eq!(groups("gtw-false-pos:texts-0-Plain-form")[0], ("false positives", "gtw false-pos/texts".into()));
    }

    #[test]
    fn rows_count_each_side() {
        let rows = rows(&[
            case("sqli-query-001", true, true),
            case("sqli-query-002", false, true),
            case("ok-get-001", true, false),
        ]);
        let sqli = rows.iter().find(|r| r.group == "sqli").expect("a sqli row");
        assert_eq!((sqli.sent, sqli.ours, sqli.modsec), (2, 1, 2));
        let benign = rows.iter().find(|r| r.group == "benign, corpus").expect("a benign row");
        assert_eq!((benign.sent, benign.ours, benign.modsec), (1, 1, 0));
    }
}
