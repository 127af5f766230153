//! Request body processing before phase 2: limits, then the body processor that
//! `Content-Type` or `ctl:requestBodyProcessor` chose.

use super::state::{InterruptAction, Interruption, Transaction};
use crate::body::{json, multipart, xml};
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
            Some(BodyProcessor::Json) => {
                let mut args = crate::values::Values::new();
                let result = json::parse(body, json::DEFAULT_DEPTH_LIMIT, &mut args);
                // JSON arguments go to ARGS only (libmodsecurity's addArgument("JSON", ...)).
                for (k, v) in args.iter() {
                    self.args.push(k, v);
                }
                if let Err(e) = result.map_err(|e| format!("JSON parsing error: {e}")) {
                    self.body.error = (!body.is_empty()).then_some(e);
                }
            }
            Some(BodyProcessor::Xml) => {
                let doc = xml::parse(body);
                self.body.xml = doc.text;
                if doc.malformed {
                    self.body.error = Some(format!("XML parsing error: {}", xml::ERROR));
                }
            }
            Some(BodyProcessor::Multipart) => self.process_multipart(body),
            None => {}
        }
        self.body.raw = body.to_vec();
    }
}

impl Transaction<'_> {
    /// `multipart/form-data`, with the first `Content-Type` header (none: nothing happens).
    fn process_multipart(&mut self, body: &[u8]) {
        let Some(content_type) = self.request.headers.first(b"content-type") else { return };
        let m = multipart::parse(content_type, body);
        for (name, value) in &m.fields {
            self.args.push(name.clone(), value.clone());
            self.body.args_post.push(name.clone(), value.clone());
        }
        for file in &m.files {
            self.body.files.push(file.name.clone(), file.filename.clone());
            self.body.files_names.push(file.name.clone(), file.name.clone());
            self.body.files_sizes.push(file.name.clone(), file.size.to_string());
            self.body.files_tmp_content.push(file.name.clone(), "");
        }
        for (name, value) in m.flags.variables() {
            self.body.multipart_flags.set(name.as_bytes(), value);
        }
        self.body.multipart_names = m.names;
        self.body.multipart_filenames = m.filenames;
        self.body.multipart_part_headers = m.part_headers;
        self.body.error = m.error.map(|e| format!("Multipart parsing error: {e}"));
    }
}
