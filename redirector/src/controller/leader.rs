//! Leader election on a `coordination.k8s.io/v1` Lease. Each replica runs [`step`] every
//! renew interval: it creates the Lease when there is none, renews it while it holds it, takes
//! it over once it has seen no renewal for `leaseDurationSeconds`, and otherwise follows.
//!
//! Expiry is measured on the replica's own clock from when it last saw the Lease's holder or
//! `renewTime` change ([`Seen`]), as client-go does, so skew between the replicas' clocks does
//! not matter; a replica that has just started waits one duration before taking over. Writes
//! carry the resourceVersion read, so of two replicas racing for an expired Lease exactly one
//! wins (the other gets 409 and follows). [`decide`] and [`Seen`] are the pure part.

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, Error as KubeError};

use super::Error;

/// What one replica does with the Lease it read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// No Lease yet: create it, holding it.
    Create,
    /// We hold it: renew.
    Renew,
    /// Free or expired: take it over.
    Acquire,
    /// Someone else holds a fresh Lease.
    Follow {
        /// The holder.
        holder: String,
    },
}

/// When this replica, by its own clock, first saw the Lease as it is now.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Seen {
    record: Option<(Option<String>, Option<MicroTime>)>,
    since: Option<Timestamp>,
}

impl Seen {
    /// Notes the Lease read at `now`; returns since when its holder and `renewTime` have been
    /// unchanged, as far as this replica knows.
    pub fn note(&mut self, spec: Option<&LeaseSpec>, now: Timestamp) -> Timestamp {
        let record = spec.map(|s| (s.holder_identity.clone(), s.renew_time.clone()));
        match self.since {
            Some(since) if self.record == record => since,
            _ => {
                self.record = record;
                self.since = Some(now);
                now
            }
        }
    }
}

/// The decision for `me` at `now`, given the Lease's spec (`None`: no Lease) and since when
/// it has been unchanged ([`Seen::note`]).
pub fn decide(spec: Option<&LeaseSpec>, me: &str, now: Timestamp, unchanged_since: Timestamp) -> Decision {
    let Some(spec) = spec else { return Decision::Create };
    let holder = spec.holder_identity.as_deref().unwrap_or_default();
    if holder == me {
        return Decision::Renew;
    }
    let seconds = i64::from(spec.lease_duration_seconds.unwrap_or(0).max(0));
    let fresh = unchanged_since + SignedDuration::from_secs(seconds) > now;
    if holder.is_empty() || !fresh { Decision::Acquire } else { Decision::Follow { holder: holder.to_owned() } }
}

/// The spec to write after `decision` (not for `Follow`).
pub fn next_spec(
    previous: Option<&LeaseSpec>,
    decision: &Decision,
    me: &str,
    now: Timestamp,
    duration_secs: i32,
) -> LeaseSpec {
    let mut spec = previous.cloned().unwrap_or_default();
    if *decision != Decision::Renew {
        spec.acquire_time = Some(MicroTime(now));
        let moved = previous.is_some_and(|p| p.holder_identity.as_deref().is_some_and(|h| !h.is_empty() && h != me));
        spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + i32::from(moved));
    }
    spec.holder_identity = Some(me.to_owned());
    spec.lease_duration_seconds = Some(duration_secs);
    spec.renew_time = Some(MicroTime(now));
    spec
}

/// One round: read the Lease, decide, write. `Ok(true)` when `me` holds it afterwards.
pub async fn step(
    api: &Api<Lease>,
    name: &str,
    me: &str,
    now: Timestamp,
    duration_secs: i32,
    seen: &mut Seen,
) -> Result<bool, Error> {
    let lease = api.get_opt(name).await.map_err(Error::api(format!("read Lease {name}")))?;
    let spec = lease.as_ref().and_then(|l| l.spec.as_ref());
    let decision = decide(spec, me, now, seen.note(spec, now));
    if let Decision::Follow { .. } = decision {
        return Ok(false);
    }
    let next = next_spec(spec, &decision, me, now, duration_secs);
    let written = match lease {
        None => {
            let fresh =
                Lease { metadata: ObjectMeta { name: Some(name.into()), ..ObjectMeta::default() }, spec: Some(next) };
            api.create(&PostParams::default(), &fresh).await
        }
        Some(mut lease) => {
            lease.spec = Some(next);
            api.replace(name, &PostParams::default(), &lease).await
        }
    };
    match written {
        Ok(_) => Ok(true),
        Err(KubeError::Api(s)) if s.code == 409 => Ok(false), // another replica won the race
        Err(e) => Err(Error::api(format!("write Lease {name}"))(e)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use k8s_openapi::api::coordination::v1::LeaseSpec;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
    use k8s_openapi::jiff::SignedDuration;

    use super::{Decision, Seen, decide, next_spec};
    use crate::controller::fixtures::now;

    fn held_by(holder: &str, seconds_ago: i64) -> LeaseSpec {
        LeaseSpec {
            holder_identity: Some(holder.into()),
            lease_duration_seconds: Some(15),
            renew_time: Some(MicroTime(now() - SignedDuration::from_secs(seconds_ago))),
            lease_transitions: Some(4),
            ..LeaseSpec::default()
        }
    }

    fn ago(seconds: i64) -> k8s_openapi::jiff::Timestamp {
        now() - SignedDuration::from_secs(seconds)
    }

    #[test]
    fn decisions_count_from_when_this_replica_saw_the_lease_change() {
        assert_eq!(decide(None, "me", now(), now()), Decision::Create);
        assert_eq!(decide(Some(&held_by("me", 100)), "me", now(), ago(100)), Decision::Renew);
        let other = held_by("other", 0);
        assert_eq!(decide(Some(&other), "me", now(), ago(14)), Decision::Follow { holder: "other".into() });
        assert_eq!(decide(Some(&other), "me", now(), ago(15)), Decision::Acquire);
        assert_eq!(decide(Some(&held_by("", 1)), "me", now(), now()), Decision::Acquire);
        // A renewTime far in the past (a skewed clock) does not expire a Lease just seen change.
        assert_eq!(
            decide(Some(&held_by("other", 3600)), "me", now(), now()),
            Decision::Follow { holder: "other".into() }
        );
    }

    #[test]
    fn seen_restarts_its_clock_on_every_renewal_or_new_holder() {
        let mut seen = Seen::default();
        assert_eq!(seen.note(Some(&held_by("other", 0)), ago(30)), ago(30), "first sight");
        assert_eq!(seen.note(Some(&held_by("other", 0)), ago(10)), ago(30), "unchanged");
        assert_eq!(seen.note(Some(&held_by("other", 5)), ago(10)), ago(10), "renewed");
        assert_eq!(seen.note(Some(&held_by("third", 5)), now()), now(), "new holder");
        assert_eq!(seen.note(None, now()), now(), "deleted");
    }

    #[test]
    fn a_takeover_counts_a_transition_and_a_renewal_keeps_the_acquire_time() {
        let taken = next_spec(Some(&held_by("other", 60)), &Decision::Acquire, "me", now(), 15);
        assert_eq!((taken.holder_identity.as_deref(), taken.lease_transitions), (Some("me"), Some(5)));
        assert_eq!(taken.acquire_time, Some(MicroTime(now())));
        let mut mine = held_by("me", 5);
        mine.acquire_time = Some(MicroTime(now() - SignedDuration::from_secs(600)));
        let renewed = next_spec(Some(&mine), &Decision::Renew, "me", now(), 15);
        assert_eq!((renewed.acquire_time, renewed.lease_transitions), (mine.acquire_time, Some(4)));
        assert_eq!(renewed.renew_time, Some(MicroTime(now())));
        let created = next_spec(None, &Decision::Create, "me", now(), 15);
        assert_eq!(created.lease_transitions, Some(0));
    }
}
