//! What the demo sends, and how each answer is judged. An HTTP request counts as blocked
//! when the answer did not come from the origin (no `x-lab-origin` header: the inspector
//! answered, or nobody did). Flow probes are plain TCP connections.

use std::net::SocketAddr;

use super::DemoArgs;
use super::table::{Sent, benign, family};
use crate::Error;
use crate::corpus::{self, Request};
use crate::lab::Facts;
use crate::lab::client::{Outcome, Probe};

/// What a probe is for.
#[derive(Clone, Debug)]
pub enum Kind {
    /// A corpus request.
    Http {
        /// Corpus id.
        id: String,
        /// The target pod's app.
        target: String,
        /// The core-set expectation.
        expect_blocked: Option<bool>,
    },
    /// A TCP flow that must (or must not) connect.
    Flow {
        /// What it shows.
        what: String,
        /// Whether it must connect.
        connects: bool,
    },
}

/// One probe and its purpose.
#[derive(Clone, Debug)]
pub struct Case {
    /// Purpose.
    pub kind: Kind,
    /// The probe.
    pub probe: Probe,
}

/// A judged answer.
#[derive(Debug)]
pub enum Judged {
    /// An HTTP request's result.
    Http(Sent),
    /// A flow check: `Ok(line)` as expected, `Err(line)` not.
    Flow(Result<String, String>),
}

/// The canary: proves an inspector answers before anything else is counted.
const CANARY: &str = "/?id=1%27%20or%20%271%27%3D%271%27--";

fn covered_addr(facts: &Facts, app: &str) -> Result<SocketAddr, Error> {
    let pod = facts.pod(app).ok_or_else(|| Error::Config(format!("the lab has no {app} pod")))?;
    let port = pod.ports.iter().map(|p| p.port).find(|p| facts.covered.contains(&format!("{}:{p}", pod.ip)));
    let port = port.ok_or_else(|| Error::Config(format!("no covered port on {app}: {:?}", facts.covered)))?;
    Ok(SocketAddr::from((pod.ip, port)))
}

fn http(request: &Request, addr: SocketAddr, target: &str, expect_blocked: Option<bool>) -> Case {
    let headers = request.wire_headers(&[("Connection", "close".into())]);
    let raw =
        crate::http::wire(&request.method, &request.uri, request.http_version(), &headers, request.body.as_bytes());
    let probe = Probe { addr, http: Some(String::from_utf8_lossy(&raw).into_owned()), timeout_ms: 5000 };
    Case { kind: Kind::Http { id: request.id.clone(), target: target.into(), expect_blocked }, probe }
}

/// Every probe of the demo, in sending order.
pub fn cases(args: &DemoArgs, facts: &Facts) -> Result<Vec<Case>, Error> {
    let (main, auth) = (covered_addr(facts, "main-logic")?, covered_addr(facts, "user-auth")?);
    let canary = Request {
        id: "canary-sqli-001".into(),
        method: "GET".into(),
        uri: CANARY.into(),
        headers: Default::default(),
        body: String::new(),
        expect: None,
        bare: false,
        version: None,
    };
    let mut out = vec![http(&canary, main, "main-logic", Some(true))];
    let mut corpus = corpus::load_dir(&args.corpus)?;
    let mut auth_benign = corpus::load_dir(&super::lab_corpus().join("user-auth"))?;
    if let Some(n) = args.per_family {
        for list in [&mut corpus, &mut auth_benign] {
            let mut seen = std::collections::BTreeMap::<String, usize>::new();
            list.retain(|r| {
                let count = seen.entry(family(&r.id)).or_default();
                *count += 1;
                *count <= n
            });
        }
    }
    // Every benign request must pass (a blocked one is a false positive, whatever `expect`
    // says); an attack is judged by its `expect` (its core set).
    let expect = |r: &Request| if benign(&family(&r.id)) { Some(false) } else { r.expect.as_ref().map(|e| e.blocked) };
    out.extend(corpus.iter().map(|r| http(r, main, "main-logic", expect(r))));
    // user-auth's allow-list denies anything it does not list: every attack must be blocked.
    out.extend(corpus.iter().filter(|r| !benign(&family(&r.id))).map(|r| http(r, auth, "user-auth", Some(true))));
    out.extend(auth_benign.iter().map(|r| http(r, auth, "user-auth", expect(r))));
    let flow = |app: &str, port: u16, connects: bool, what: &str| -> Result<Case, Error> {
        let pod = facts.pod(app).ok_or_else(|| Error::Config(format!("the lab has no {app} pod")))?;
        let probe = Probe { addr: (pod.ip, port).into(), http: None, timeout_ms: if connects { 3000 } else { 1500 } };
        Ok(Case { kind: Kind::Flow { what: format!("frontend -> {app}:{port} ({what})"), connects }, probe })
    };
    out.push(flow("middleware", 6379, true, "allowed, not inspected")?);
    out.push(flow("db", 3306, false, "denied: skips a hop of the chain")?);
    Ok(out)
}

/// Judges one answer.
pub fn judge(case: &Case, outcome: &Outcome) -> Judged {
    match &case.kind {
        Kind::Http { id, target, expect_blocked } => {
            let answer = match (&outcome.origin, outcome.status, &outcome.error) {
                (Some(origin), Some(status), _) => format!("{status} from {origin}"),
                (None, Some(status), _) => format!("{status} from the inspector"),
                (_, _, error) => format!("no answer: {}", error.as_deref().unwrap_or("-")),
            };
            let blocked = outcome.origin.is_none();
            Judged::Http(Sent {
                id: id.clone(),
                family: family(id),
                target: target.clone(),
                expect_blocked: *expect_blocked,
                blocked,
                answer,
            })
        }
        Kind::Flow { what, connects } => {
            let got = match (&outcome.greeting, &outcome.error) {
                (Some(g), _) => format!("connected: {g:?}"),
                (None, e) => format!("no connection ({})", e.as_deref().unwrap_or("-")),
            };
            let line = format!("{what}: {got}");
            if outcome.greeting.is_some() == *connects { Judged::Flow(Ok(line)) } else { Judged::Flow(Err(line)) }
        }
    }
}
