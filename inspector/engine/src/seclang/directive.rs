//! From a directive's words to its meaning ([`DirectiveKind`]), validating arguments.

use super::actions::parse_actions;
use super::ast::{DirectiveKind, EngineMode, IdRange, LimitAction};
use super::error::ErrorKind;
use super::ignored::{IGNORED, UNSUPPORTED};
use super::rule::{OperatorSpec, RuleSpec};
use super::variables::parse_variables;

/// A directive's meaning, or an `Include` for the parser to expand.
#[derive(Debug)]
pub enum Parsed {
    /// Any directive but `Include`.
    Kind(DirectiveKind),
    /// `Include PATTERN`.
    Include(String),
}

/// Interprets one directive (`words[0]` is its name).
pub fn convert(words: &[String]) -> Result<Parsed, ErrorKind> {
    let Some((name, args)) = words.split_first() else {
        return Err(ErrorKind::Syntax("empty directive".to_string()));
    };
    let a = Args { name, args };
    let kind = match name.to_ascii_lowercase().as_str() {
        "include" => return Ok(Parsed::Include(a.one()?.to_string())),
        "secrule" => DirectiveKind::Rule(a.rule()?),
        "secaction" => DirectiveKind::Action(parse_actions(a.one()?)?),
        "secdefaultaction" => DirectiveKind::DefaultAction(parse_actions(a.one()?)?),
        "secmarker" => DirectiveKind::Marker(a.one()?.to_string()),
        "secruleengine" => DirectiveKind::RuleEngine(a.choice(
            "expected On, Off or DetectionOnly",
            &[("on", EngineMode::On), ("off", EngineMode::Off), ("detectiononly", EngineMode::DetectionOnly)],
        )?),
        "secrequestbodyaccess" => DirectiveKind::RequestBodyAccess(a.on_off()?),
        "secresponsebodyaccess" => DirectiveKind::ResponseBodyAccess(a.on_off()?),
        "secrequestbodylimit" => DirectiveKind::RequestBodyLimit(a.number()?),
        "secrequestbodynofileslimit" => DirectiveKind::RequestBodyNoFilesLimit(a.number()?),
        "secrequestbodylimitaction" => DirectiveKind::RequestBodyLimitAction(a.limit_action()?),
        "secresponsebodylimit" => DirectiveKind::ResponseBodyLimit(a.number()?),
        "secresponsebodylimitaction" => DirectiveKind::ResponseBodyLimitAction(a.limit_action()?),
        "secresponsebodymimetype" => {
            let types: Vec<String> = args.iter().flat_map(|t| t.split_ascii_whitespace()).map(String::from).collect();
            if types.is_empty() {
                return Err(a.bad("expected at least one MIME type"));
            }
            DirectiveKind::ResponseBodyMimeType(types)
        }
        "secresponsebodymimetypesclear" => a.none(DirectiveKind::ResponseBodyMimeTypesClear)?,
        "secruleremovebyid" => DirectiveKind::RuleRemoveById(a.id_ranges(args)?),
        "secruleremovebytag" => DirectiveKind::RuleRemoveByTag(a.one()?.to_string()),
        "secruleremovebymsg" => DirectiveKind::RuleRemoveByMsg(a.one()?.to_string()),
        "secruleupdatetargetbyid" => match args {
            [ids, targets] | [ids, targets, _] => {
                let replaced = match args.get(2).map(|r| parse_variables(r)).transpose()?.as_deref() {
                    None => None,
                    Some([one]) => Some(one.clone()),
                    Some(_) => return Err(a.bad("the replaced target must be a single variable")),
                };
                let ids = a.id_ranges(std::slice::from_ref(ids))?;
                DirectiveKind::RuleUpdateTargetById { ids, targets: parse_variables(targets)?, replaced }
            }
            _ => return Err(a.bad("expected ID TARGETS [REPLACED]")),
        },
        "secruleupdatetargetbytag" => {
            let [tag, targets] = a.two()?;
            DirectiveKind::RuleUpdateTargetByTag { tag: tag.clone(), targets: parse_variables(targets)? }
        }
        "secruleupdatetargetbymsg" => {
            let [msg, targets] = a.two()?;
            DirectiveKind::RuleUpdateTargetByMsg { msg: msg.clone(), targets: parse_variables(targets)? }
        }
        "secruleupdateactionbyid" => {
            let [id, actions] = a.two()?;
            let id = id.parse().ok().filter(|&id| id > 0).ok_or_else(|| a.bad("expected a rule id"))?;
            DirectiveKind::RuleUpdateActionById { id, actions: parse_actions(actions)? }
        }
        "secargumentseparator" => match a.one()?.as_bytes() {
            [byte] => DirectiveKind::ArgumentSeparator(*byte),
            _ => return Err(a.bad("expected a single character")),
        },
        "seccollectiontimeout" => DirectiveKind::CollectionTimeout(a.number()?),
        "seccomponentsignature" => DirectiveKind::ComponentSignature(a.one()?.to_string()),
        lower => {
            let known = |list: &[&'static str]| list.iter().copied().find(|d| d.eq_ignore_ascii_case(lower));
            if let Some(canonical) = known(IGNORED) {
                DirectiveKind::Ignored { name: canonical, args: args.to_vec() }
            } else if let Some(canonical) = known(UNSUPPORTED) {
                return Err(ErrorKind::UnsupportedDirective(canonical.to_string()));
            } else {
                return Err(ErrorKind::UnknownDirective(name.clone()));
            }
        }
    };
    Ok(Parsed::Kind(kind))
}

/// A directive's arguments, with the checks every directive needs.
struct Args<'a> {
    name: &'a str,
    args: &'a [String],
}

impl Args<'_> {
    fn bad(&self, message: &str) -> ErrorKind {
        ErrorKind::BadArgument { directive: self.name.to_string(), message: message.to_string() }
    }

    fn none(&self, kind: DirectiveKind) -> Result<DirectiveKind, ErrorKind> {
        if self.args.is_empty() { Ok(kind) } else { Err(self.bad("takes no argument")) }
    }

    fn one(&self) -> Result<&str, ErrorKind> {
        match self.args {
            [one] => Ok(one),
            _ => Err(self.bad(&format!("expected 1 argument, found {}", self.args.len()))),
        }
    }

    fn two(&self) -> Result<&[String; 2], ErrorKind> {
        self.args.try_into().map_err(|_| self.bad(&format!("expected 2 arguments, found {}", self.args.len())))
    }

    fn choice<T: Copy>(&self, expected: &str, options: &[(&str, T)]) -> Result<T, ErrorKind> {
        let value = self.one()?;
        options
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(value))
            .map(|&(_, v)| v)
            .ok_or_else(|| self.bad(expected))
    }

    fn on_off(&self) -> Result<bool, ErrorKind> {
        self.choice("expected On or Off", &[("on", true), ("off", false)])
    }

    fn limit_action(&self) -> Result<LimitAction, ErrorKind> {
        let options = [("reject", LimitAction::Reject), ("processpartial", LimitAction::ProcessPartial)];
        self.choice("expected Reject or ProcessPartial", &options)
    }

    fn number(&self) -> Result<u64, ErrorKind> {
        self.one()?.parse().map_err(|_| self.bad("expected a non-negative integer"))
    }

    /// Ids and ranges (`1 2 100-200`, also comma-separated).
    fn id_ranges(&self, words: &[String]) -> Result<Vec<IdRange>, ErrorKind> {
        let parts = words.iter().flat_map(|w| w.split([',', ' ', '\t'])).filter(|p| !p.is_empty());
        let ranges = parts
            .map(|part| {
                let (start, end) = part.split_once('-').unwrap_or((part, part));
                match (start.trim().parse(), end.trim().parse()) {
                    (Ok(start), Ok(end)) if start <= end => Ok(IdRange { start, end }),
                    _ => Err(self.bad(&format!("bad id or range `{part}`"))),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        if ranges.is_empty() { Err(self.bad("expected at least one id")) } else { Ok(ranges) }
    }

    fn rule(&self) -> Result<RuleSpec, ErrorKind> {
        let (variables, operator, actions) = match self.args {
            [v, o] => (v, o, None),
            [v, o, a] => (v, o, Some(a)),
            _ => return Err(self.bad("expected VARIABLES OPERATOR [ACTIONS]")),
        };
        Ok(RuleSpec {
            variables: parse_variables(variables)?,
            operator: parse_operator(operator),
            actions: actions.map(|a| parse_actions(a)).transpose()?.unwrap_or_default(),
        })
    }
}

/// `[!]@name param`, or a bare regex for `@rx`.
pub fn parse_operator(text: &str) -> OperatorSpec {
    let (negated, text) = match text.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let Some(rest) = text.strip_prefix('@') else {
        return OperatorSpec { negated, name: "rx".to_string(), param: text.to_string() };
    };
    let end = rest.find(|c: char| c.is_ascii_whitespace()).unwrap_or(rest.len());
    let (name, param) = rest.split_at(end);
    let param = param.strip_prefix(|c: char| c.is_ascii_whitespace()).unwrap_or(param);
    OperatorSpec { negated, name: name.to_string(), param: param.to_string() }
}
