//! Request body processing before phase 2: limits, then the body processor that
//! `Content-Type` or `ctl:requestBodyProcessor` chose.

use super::state::{InterruptAction, Interruption, Transaction};
use crate::request::{BodyProcessor, parse_args};
use crate::seclang::{EngineMode, LimitAction};

impl Transaction<'_> {
    pub(super) fn process_request_body(&mut self, body: &[u8]) {
        let settings = &self.rules.settings;
        let access = self.overrides.request_body_access.unwrap_or(settings.request_body_access);
        let limit = usize::try_from(settings.request_body_limit).unwrap_or(usize::MAX);
        let mut body = body;
        if body.len() > limit {
            self.body.multipart_flags.set(b"INBOUND_DATA_ERROR", "1");
            match settings.request_body_limit_action {
                LimitAction::ProcessPartial => body = &body[..limit],
                LimitAction::Reject => {
                    if self.engine() == EngineMode::On {
                        self.interruption =
                            Some(Interruption { rule_id: 0, status: 403, action: InterruptAction::Deny });
                    }
                    return;
                }
            }
        }
        if !access {
            return;
        }
        self.body.processor = self.request.body_processor;
        match self.request.body_processor {
            Some(BodyProcessor::UrlEncoded) => {
                let separator = settings.argument_separator;
                if parse_args(body, separator, &mut self.body.args_post) {
                    self.request.urlencoded_error = true;
                }
                for (k, v) in self.body.args_post.iter() {
                    self.args.push(k, v);
                }
            }
            Some(BodyProcessor::Json | BodyProcessor::Xml | BodyProcessor::Multipart) => {
                // Not parsed yet: the raw body is still inspected through REQUEST_BODY.
            }
            None => {}
        }
        self.body.raw = body.to_vec();
    }
}
