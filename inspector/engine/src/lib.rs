//! Chainwall's rule engine: loads ModSecurity SecLang (the OWASP Core Rule Set among it) and
//! evaluates HTTP transactions with ModSecurity's results. Synchronous and free of sockets
//! and async runtimes, so it can be unit-tested and fuzzed on its own.
//!
//! - [`seclang`]: the SecLang parser (directives, variables, operators, actions, `Include`),
//!   with `file:line` errors.
//! - [`transform`]: transformations (`t:lowercase`, `t:urlDecodeUni`, ...), one file each.
//! - [`operator`]: operators (`@rx`, `@pm`, `@detectSQLi`, ...), one file each.
//! - [`values`]: runtime collections: ordered, case-insensitive multimaps (ARGS, headers, TX, ...).
//! - [`ruleset`]: the rule compiler: directives to phases of compiled rules.
//! - [`tx`]: transactions: phases, rule evaluation, actions, verdicts.
//! - [`body`]: request body processors (JSON, multipart, XML).
//! - [`request`]: the variables libmodsecurity derives from the request line and headers.

pub mod body;
pub mod operator;
pub mod request;
pub mod ruleset;
pub mod seclang;
pub mod transform;
pub mod tx;
pub mod values;
