//! The timeouts (slowloris and stuck upstreams), flattened into [`super::Args`]:
//!
//! | flag | default | what runs out | answer |
//! | --- | --- | --- | --- |
//! | `--header-timeout` | 10s | a request head not complete | connection closed (hyper) |
//! | `--body-timeout` | 30s | a request body not complete once its head arrived | 408 + close |
//! | `--idle-timeout` | 60s | no byte either way on a client connection | graceful close (h2: GOAWAY) |
//! | `--upstream-connect-timeout` | 5s | the TCP connect to the upstream | 504 |
//! | `--upstream-timeout` | 60s | the upstream's response head | 504 |

use std::time::Duration;

use super::{ConfigError, parse_duration};

/// The timeout flags (`10s`, `500ms`, `2m` or seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub struct Timeouts {
    /// Time allowed to receive a request head; slower closes the connection.
    #[arg(long = "header-timeout", env = "INSPECTOR_HEADER_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub header: Duration,
    /// Time allowed to receive the whole request body once the head arrived; slower is 408.
    #[arg(long = "body-timeout", env = "INSPECTOR_BODY_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub body: Duration,
    /// A client connection with no byte read or written for this long is closed gracefully
    /// (after the response in flight, if any).
    #[arg(long = "idle-timeout", env = "INSPECTOR_IDLE_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub idle: Duration,
    /// Time allowed to connect to the upstream; slower is 504.
    #[arg(
        long = "upstream-connect-timeout",
        env = "INSPECTOR_UPSTREAM_CONNECT_TIMEOUT",
        default_value = "5s",
        value_parser = parse_duration
    )]
    pub upstream_connect: Duration,
    /// Time allowed for the upstream's response head once the request is sent; slower is 504.
    #[arg(long = "upstream-timeout", env = "INSPECTOR_UPSTREAM_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub upstream_response: Duration,
}

impl Timeouts {
    /// Every timeout must be positive.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let named = [
            ("header-timeout", self.header),
            ("body-timeout", self.body),
            ("idle-timeout", self.idle),
            ("upstream-connect-timeout", self.upstream_connect),
            ("upstream-timeout", self.upstream_response),
        ];
        match named.into_iter().find(|(_, d)| d.is_zero()) {
            Some((flag, _)) => Err(ConfigError::Zero { flag }),
            None => Ok(()),
        }
    }
}
