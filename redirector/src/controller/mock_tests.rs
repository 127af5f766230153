//! The controller's writes against a mocked apiserver (kube-rs's `tower-test` pattern): each
//! test scripts the requests it expects, in order, asserts their method, path and body, and
//! answers them. Covers status patches, plan apply, Events, finalizers and the Lease.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use http::{Method, Request, Response};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::client::Body;
use kube::runtime::events::{Recorder, Reporter};
use kube::{Api, Client};
use serde_json::{Value, json};

use super::compute::compute;
use super::fixtures::{cluster, policy};
use super::{FINALIZER, apply, leader};

type Handle = tower_test::mock::Handle<Request<Body>, Response<Body>>;

fn mock() -> (Client, Handle) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    (Client::new(service, "default"), handle)
}

/// One expected request: its method and URI (path and query), the status and body to answer.
struct Expect {
    method: Method,
    uri: String,
    status: u16,
    reply: Value,
}

fn expect(method: Method, uri: &str, status: u16, reply: Value) -> Expect {
    Expect { method, uri: uri.into(), status, reply }
}

/// Answers `script` in order, returning each request's content type and JSON body; then
/// checks that no other request comes.
async fn verify(mut handle: Handle, script: Vec<Expect>) -> Vec<(String, Value)> {
    let mut seen = Vec::new();
    for step in script {
        let (request, send) = tokio::time::timeout(Duration::from_secs(5), handle.next_request())
            .await
            .unwrap_or_else(|_| panic!("no request came; expected {} {}", step.method, step.uri))
            .unwrap();
        assert_eq!((request.method(), request.uri().to_string()), (&step.method, step.uri.clone()));
        let content_type =
            request.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let bytes = request.into_body().collect_bytes().await.unwrap();
        let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
        seen.push((content_type, body));
        let response =
            Response::builder().status(step.status).body(Body::from(serde_json::to_vec(&step.reply).unwrap()));
        send.send_response(response.unwrap());
    }
    let extra = tokio::time::timeout(Duration::from_millis(200), handle.next_request()).await;
    if let Ok(Some((request, _))) = extra {
        panic!("unexpected request {} {}", request.method(), request.uri());
    }
    seen
}

fn status_error(code: u16, reason: &str) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": reason, "reason": reason, "code": code})
}

const L7: &str = "/apis/chainwall.dev/v1alpha1/namespaces/shop/l7networkpolicies";
const PLANS: &str = "/apis/chainwall.dev/v1alpha1/redirectplans";

fn apply_uri(node: &str) -> String {
    format!("{PLANS}/{node}?&force=true&fieldManager=chainwall-controller")
}

fn recorder(client: &Client) -> Recorder {
    Recorder::new(client.clone(), Reporter { controller: "chainwall-controller".into(), instance: Some("test".into()) })
}

fn policy_reply(name: &str) -> Value {
    serde_json::to_value(&*policy(name, json!({"podSelector": {}}))).unwrap()
}

fn plan_reply(node: &str) -> Value {
    json!({"apiVersion": "chainwall.dev/v1alpha1", "kind": "RedirectPlan", "metadata": {"name": node}, "spec": {"node": node}})
}

#[tokio::test]
async fn a_bad_policy_gets_its_finalizer_the_plans_a_status_and_an_event_in_order() {
    let mut observed = cluster();
    observed.policies = vec![policy("bad", json!({"podSelector": {}, "ingress": [{"ports": [{"port": 0}]}]}))];
    let actions = compute(&observed, Timestamp::now());
    let (client, handle) = mock();
    let script = vec![
        expect(Method::PATCH, &format!("{L7}/bad?"), 200, policy_reply("bad")),
        expect(Method::PATCH, &apply_uri("node-a"), 200, plan_reply("node-a")),
        expect(Method::PATCH, &apply_uri("node-b"), 200, plan_reply("node-b")),
        expect(Method::PATCH, &format!("{L7}/bad/status?"), 200, policy_reply("bad")),
        expect(Method::POST, "/apis/events.k8s.io/v1/namespaces/shop/events?", 201, json!({"metadata": {"name": "e"}})),
    ];
    let server = tokio::spawn(verify(handle, script));
    let errors = apply::apply(&client, &recorder(&client), &actions).await;
    assert!(errors.is_empty(), "{errors:?}");
    let seen = server.await.unwrap();
    let (finalizer_type, finalizers) = &seen[0];
    assert_eq!(finalizer_type, "application/merge-patch+json");
    assert_eq!(finalizers, &json!({"metadata": {"resourceVersion": "7", "finalizers": [FINALIZER]}}));
    let (apply_type, plan) = &seen[1];
    assert_eq!(apply_type, "application/apply-patch+yaml");
    assert_eq!((plan["kind"].as_str(), plan["metadata"]["name"].as_str()), (Some("RedirectPlan"), Some("node-a")));
    assert_eq!(plan["spec"]["node"], "node-a");
    assert_eq!(plan["spec"]["pods"][0]["pod"], "shop/web", "the bad policy selects every pod, web included");
    let (status_type, status) = &seen[3];
    assert_eq!(status_type, "application/merge-patch+json");
    let conditions = status["status"]["conditions"].as_array().unwrap();
    let degraded = conditions.iter().find(|c| c["type"] == "Degraded").unwrap();
    assert_eq!((degraded["status"].as_str(), degraded["reason"].as_str()), (Some("True"), Some("InvalidSpec")));
    assert_eq!(status["status"]["observedGeneration"], 1);
    assert_eq!(status["status"]["selectedPods"], 2);
    let (_, event) = &seen[4];
    assert_eq!((event["type"].as_str(), event["reason"].as_str()), (Some("Warning"), Some("InvalidSpec")));
    assert_eq!(
        (event["regarding"]["kind"].as_str(), event["regarding"]["name"].as_str()),
        (Some("L7NetworkPolicy"), Some("bad"))
    );
    assert_eq!(event["reportingController"], "chainwall-controller");
}

#[tokio::test]
async fn a_deleted_policy_loses_its_finalizer_only_after_the_plan_is_written() {
    let first = compute(&cluster(), Timestamp::now());
    let mut state = cluster();
    state.plans = first
        .apply_plans
        .iter()
        .map(|s| std::sync::Arc::new(policy_crd::api::RedirectPlan::new(&s.node, s.clone())))
        .collect();
    let mut deleting = (*state.policies[0]).clone();
    deleting.metadata.finalizers = Some(vec!["other.io/keep".into(), FINALIZER.into()]);
    deleting.metadata.deletion_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(Timestamp::now()));
    state.policies = vec![std::sync::Arc::new(deleting)];
    let actions = compute(&state, Timestamp::now());

    let (client, handle) = mock();
    let script = vec![
        expect(Method::PATCH, &apply_uri("node-a"), 200, plan_reply("node-a")),
        expect(Method::PATCH, &format!("{L7}/web?"), 200, policy_reply("web")),
    ];
    let server = tokio::spawn(verify(handle, script));
    assert!(apply::apply(&client, &recorder(&client), &actions).await.is_empty());
    let seen = server.await.unwrap();
    assert_eq!(seen[1].1, json!({"metadata": {"resourceVersion": "7", "finalizers": ["other.io/keep"]}}));

    // The same pass with the apiserver refusing the plan: the finalizer stays.
    let (client, handle) = mock();
    let script = vec![expect(Method::PATCH, &apply_uri("node-a"), 500, status_error(500, "InternalError"))];
    let server = tokio::spawn(verify(handle, script));
    let errors = apply::apply(&client, &recorder(&client), &actions).await;
    server.await.unwrap();
    assert_eq!(errors.iter().map(|e| e.metric_label()).collect::<Vec<_>>(), ["api_other"]);
}

#[tokio::test]
async fn a_gone_nodes_plan_is_deleted_and_already_gone_is_fine() {
    let (client, handle) = mock();
    let script = vec![
        expect(Method::DELETE, &format!("{PLANS}/node-b?"), 200, plan_reply("node-b")),
        expect(Method::DELETE, &format!("{PLANS}/node-c?"), 404, status_error(404, "NotFound")),
    ];
    let server = tokio::spawn(verify(handle, script));
    apply::delete_plan(&client, "node-b").await.unwrap();
    apply::delete_plan(&client, "node-c").await.unwrap();
    server.await.unwrap();
}

const LEASE: &str = "/apis/coordination.k8s.io/v1/namespaces/chainwall-system/leases";

fn lease(holder: &str, renewed: Timestamp) -> Value {
    json!({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "chainwall-controller", "namespace": "chainwall-system", "resourceVersion": "41"},
        "spec": {"holderIdentity": holder, "leaseDurationSeconds": 15, "renewTime": renewed.to_string(), "leaseTransitions": 2}
    })
}

fn leases(client: &Client) -> Api<Lease> {
    Api::namespaced(client.clone(), "chainwall-system")
}

#[tokio::test]
async fn a_free_lease_is_created_and_held() {
    let (client, handle) = mock();
    let now = Timestamp::now();
    let script = vec![
        expect(Method::GET, &format!("{LEASE}/chainwall-controller"), 404, status_error(404, "NotFound")),
        expect(Method::POST, &format!("{LEASE}?"), 201, lease("me", now)),
    ];
    let server = tokio::spawn(verify(handle, script));
    let mut first_sight = leader::Seen::default();
    assert!(leader::step(&leases(&client), "chainwall-controller", "me", now, 15, &mut first_sight).await.unwrap());
    let seen = server.await.unwrap();
    assert_eq!(seen[1].1["spec"]["holderIdentity"], "me");
    assert_eq!(seen[1].1["spec"]["leaseDurationSeconds"], 15);
}

#[tokio::test]
async fn a_fresh_lease_of_another_holder_is_left_alone() {
    let (client, handle) = mock();
    let now = Timestamp::now();
    let script = vec![expect(
        Method::GET,
        &format!("{LEASE}/chainwall-controller"),
        200,
        lease("other", now - SignedDuration::from_secs(3)),
    )];
    let server = tokio::spawn(verify(handle, script));
    let mut seen = leader::Seen::default();
    assert!(!leader::step(&leases(&client), "chainwall-controller", "me", now, 15, &mut seen).await.unwrap());
    server.await.unwrap(); // and no write followed
}

#[tokio::test]
async fn an_expired_lease_is_taken_over_and_a_lost_race_follows() {
    let now = Timestamp::now();
    let expired = lease("other", now - SignedDuration::from_secs(60));
    // This replica saw the Lease as it is a minute ago: no renewal since.
    let spec = serde_json::from_value::<Lease>(expired.clone()).unwrap().spec;
    let seen_long_ago = || {
        let mut seen = leader::Seen::default();
        seen.note(spec.as_ref(), now - SignedDuration::from_secs(60));
        seen
    };
    let (client, handle) = mock();
    let script = vec![
        expect(Method::GET, &format!("{LEASE}/chainwall-controller"), 200, expired.clone()),
        expect(Method::PUT, &format!("{LEASE}/chainwall-controller?"), 200, lease("me", now)),
    ];
    let server = tokio::spawn(verify(handle, script));
    assert!(leader::step(&leases(&client), "chainwall-controller", "me", now, 15, &mut seen_long_ago()).await.unwrap());
    let put = &server.await.unwrap()[1].1;
    assert_eq!(put["metadata"]["resourceVersion"], "41", "the write is guarded by the version read");
    assert_eq!(
        (put["spec"]["holderIdentity"].as_str(), put["spec"]["leaseTransitions"].as_i64()),
        (Some("me"), Some(3))
    );

    let (client, handle) = mock();
    let script = vec![
        expect(Method::GET, &format!("{LEASE}/chainwall-controller"), 200, expired),
        expect(Method::PUT, &format!("{LEASE}/chainwall-controller?"), 409, status_error(409, "Conflict")),
    ];
    let server = tokio::spawn(verify(handle, script));
    assert!(
        !leader::step(&leases(&client), "chainwall-controller", "me", now, 15, &mut seen_long_ago()).await.unwrap()
    );
    server.await.unwrap();
}
