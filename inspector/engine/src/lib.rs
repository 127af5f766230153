//! Chainwall's rule engine: loads ModSecurity SecLang (the OWASP Core Rule Set among it) and
//! evaluates HTTP transactions with ModSecurity's results. Synchronous and free of sockets
//! and async runtimes, so it can be unit-tested and fuzzed on its own.
//!
//! - [`seclang`]: the SecLang parser (directives, variables, operators, actions, `Include`),
//!   with `file:line` errors.
//! - [`transform`]: transformations (`t:lowercase`, `t:urlDecodeUni`, ...), one file each.
//! - [`operator`]: operators (`@rx`, `@pm`, `@detectSQLi`, ...), one file each.

pub mod operator;
pub mod seclang;
pub mod transform;
