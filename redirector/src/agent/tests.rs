//! The agent's status report (pure) and its write against a mocked apiserver, and the flags it
//! shares with `local`.

#![allow(clippy::unwrap_used)]

use clap::Parser;
use http::{Request, Response};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::client::Body;
use kube::{Api, Client};
use policy_crd::api::{RedirectPlan, RedirectPlanSpec};
use redirector::nft::config::Health;
use serde_json::json;

use super::AgentArgs;
use super::status::{after, patch_body};
use crate::local::args::Mode;
use crate::local::render;

fn now() -> Timestamp {
    "2026-11-23T08:00:00Z".parse().unwrap()
}

#[test]
fn a_steady_agent_reports_the_same_status_so_nothing_is_written() {
    let first = after(Some(3), 2, Ok(()), None, now());
    assert_eq!(first.observed_generation, Some(3));
    assert_eq!(first.programmed_time.as_ref().map(|t| t.0), Some(now()));
    assert_eq!((first.conditions[0].status.as_str(), first.error.as_deref()), ("True", None));
    let later = now() + SignedDuration::from_secs(30);
    assert_eq!(after(Some(3), 2, Ok(()), Some(&first), later), first);
    let next = after(Some(4), 2, Ok(()), Some(&first), later);
    assert_eq!(next.programmed_time.as_ref().map(|t| t.0), Some(later), "a new generation is a new programming");
    assert_eq!(next.conditions[0].last_transition_time, first.conditions[0].last_transition_time);
}

#[test]
fn a_failure_keeps_the_last_programmed_time_and_says_why() {
    let good = after(Some(3), 2, Ok(()), None, now());
    let later = now() + SignedDuration::from_secs(30);
    let bad = after(Some(4), 2, Err("nft -f rejected".into()), Some(&good), later);
    assert_eq!((bad.conditions[0].status.as_str(), bad.conditions[0].reason.as_str()), ("False", "ProgrammingFailed"));
    assert_eq!(bad.error.as_deref(), Some("nft -f rejected"));
    assert_eq!(bad.programmed_time, good.programmed_time);
    assert_eq!(bad.conditions[0].last_transition_time.0, later);
    let fixed = after(Some(4), 2, Ok(()), Some(&bad), later);
    assert_eq!(patch_body(&fixed)["status"]["error"], serde_json::Value::Null);
    assert!(patch_body(&fixed)["status"].as_object().unwrap().contains_key("error"), "the old error is cleared");
}

#[tokio::test]
async fn the_status_goes_to_the_status_subresource_only_when_it_changed() {
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let api: Api<RedirectPlan> = Api::all(Client::new(service, "default"));
    let mut plan =
        RedirectPlan::new("node-a", RedirectPlanSpec { node: "node-a".into(), ..RedirectPlanSpec::default() });
    plan.metadata.generation = Some(2);
    let next = after(Some(2), 0, Ok(()), None, now());
    let server = tokio::spawn(async move {
        let (request, send) = handle.next_request().await.unwrap();
        assert_eq!(request.method(), http::Method::PATCH);
        assert_eq!(request.uri().to_string(), "/apis/chainwall.dev/v1alpha1/redirectplans/node-a/status?");
        let body: serde_json::Value =
            serde_json::from_slice(&request.into_body().collect_bytes().await.unwrap()).unwrap();
        assert_eq!(body["status"]["observedGeneration"], 2);
        assert_eq!(body["status"]["conditions"][0]["type"], "Programmed");
        send.send_response(Response::builder().body(Body::from(serde_json::to_vec(&json!({
            "apiVersion": "chainwall.dev/v1alpha1", "kind": "RedirectPlan", "metadata": {"name": "node-a"}, "spec": {"node": "node-a"}
        })).unwrap())).unwrap());
        handle
    });
    super::run::report(&api, &plan, &next).await.unwrap();
    let mut handle = server.await.unwrap();
    plan.status = Some(next.clone());
    super::run::report(&api, &plan, &next).await.unwrap();
    drop(api);
    assert!(handle.next_request().await.is_none(), "an unchanged status is not written");
}

#[derive(Debug, Parser)]
struct Cli {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    Agent(AgentArgs),
}

#[test]
fn the_agent_takes_locals_dataplane_flags_without_manifests_and_renders_a_plan() {
    let Sub::Agent(args) =
        Cli::try_parse_from(["r", "agent", "--node", "node-a", "--mode", "sidecar"]).unwrap().command;
    assert_eq!((args.dataplane.node.as_str(), args.dataplane.mode), ("node-a", Mode::Sidecar));
    let spec: RedirectPlanSpec = serde_json::from_value(json!({
        "node": "node-a",
        "pods": [{"pod": "shop/web", "ip": "10.0.0.2", "ingress": [{"policy": "shop/web", "peers": "s", "ports": [{"protocol": "TCP", "first": 80, "last": 80}], "inspect": {"securityPolicy": "strict", "placement": "Sidecar"}}]},
                 {"pod": "shop/other", "ip": "10.0.0.4"}],
        "addressSets": {"s": {"addresses": ["10.0.0.3"]}},
        "failureModes": {"strict": "Open"},
        "netns": {"shop/web": "ns-web"}
    }))
    .unwrap();
    let targets = render(&args.dataplane, &spec, Health::Healthy).unwrap();
    assert_eq!(targets.len(), 1, "a pod without a netns is left alone");
    assert_eq!(targets[0].role, "pod shop/web");
    let text = targets[0].ruleset.to_nft();
    assert!(text.contains("10.0.0.3") && text.contains("redirect"), "{text}");
}
