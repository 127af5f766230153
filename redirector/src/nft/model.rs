//! The ruleset as data: tables of sets, maps, named counters and chains. Rules are kept as
//! rendered text (their structure is what the diff compares); set elements are typed, so that
//! the diff can add and delete them one by one. [`Ruleset::to_nft`] prints `nft -f` text.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::element::Element;

/// An nftables address family this crate writes tables in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// IPv4 and IPv6 together: filtering, NAT, TPROXY.
    Inet,
    /// Frames crossing a Linux bridge: MAC steering.
    Bridge,
}

impl Family {
    /// The keyword `nft` uses.
    pub fn keyword(self) -> &'static str {
        match self {
            Self::Inet => "inet",
            Self::Bridge => "bridge",
        }
    }
}

/// Everything one `nft -f` file defines, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ruleset {
    /// One table per family and Chainwall scope.
    pub tables: Vec<Table>,
}

/// One table. Sets are declared before the chains that use them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// Family.
    pub family: Family,
    /// Name (`chainwall`).
    pub name: String,
    /// Sets and verdict maps, sorted by name.
    pub sets: Vec<Set>,
    /// Named counters the agent exports as metrics.
    pub counters: Vec<Counter>,
    /// Chains: base chains (with a hook) first, then the ones they jump to.
    pub chains: Vec<Chain>,
}

/// A named set, or a verdict map when `key` is [`Key::EtherTypeVerdict`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Set {
    /// Name, as referenced by `@name`.
    pub name: String,
    /// Key type.
    pub key: Key,
    /// `flags interval`: elements may be ranges and prefixes.
    pub interval: bool,
    /// What the set holds (the plan's set id, say).
    pub comment: String,
    /// Members; the diff adds and deletes these.
    pub elements: BTreeSet<Element>,
}

/// The key type of a set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    /// IPv4 addresses (and ranges when interval).
    Ipv4,
    /// IPv6 addresses (and ranges when interval).
    Ipv6,
    /// Ports (and port ranges when interval).
    Service,
    /// IPv4 address and port.
    Ipv4Service,
    /// IPv6 address and port.
    Ipv6Service,
    /// Ether type to verdict: a health switch (see [`super::health`]).
    EtherTypeVerdict,
}

impl Key {
    fn text(self) -> &'static str {
        match self {
            Self::Ipv4 => "ipv4_addr",
            Self::Ipv6 => "ipv6_addr",
            Self::Service => "inet_service",
            Self::Ipv4Service => "ipv4_addr . inet_service",
            Self::Ipv6Service => "ipv6_addr . inet_service",
            Self::EtherTypeVerdict => "ether_type : verdict",
        }
    }
}

/// A named counter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counter {
    /// Name, as referenced by `counter name "..."`.
    pub name: String,
    /// What it counts.
    pub comment: String,
}

/// A chain; base chains carry their hook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    /// Name.
    pub name: String,
    /// `type filter hook forward priority filter; policy accept;`, without the braces.
    pub hook: Option<String>,
    /// Rules in order.
    pub rules: Vec<Rule>,
}

/// One rule, with an optional `#` comment line above it in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Printed as a `#` line before the rule.
    pub comment: Option<String>,
    /// The rule statement.
    pub text: String,
}

impl Rule {
    /// A rule without comment.
    pub fn new(text: impl Into<String>) -> Self {
        Self { comment: None, text: text.into() }
    }

    /// A rule with a comment line above it.
    pub fn commented(comment: impl Into<String>, text: impl Into<String>) -> Self {
        Self { comment: Some(comment.into()), text: text.into() }
    }
}

impl Table {
    /// An empty table.
    pub fn new(family: Family, name: &str) -> Self {
        Self { family, name: name.to_owned(), sets: Vec::new(), counters: Vec::new(), chains: Vec::new() }
    }

    /// `inet chainwall`: how commands name the table.
    pub fn id(&self) -> String {
        format!("{} {}", self.family.keyword(), self.name)
    }

    /// The table without set elements: what must be equal for an element-only update.
    pub fn skeleton(&self) -> Table {
        let mut t = self.clone();
        t.sets.iter_mut().for_each(|s| s.elements.clear());
        t
    }

    /// Whether both tables have the same skeleton, without copying their elements.
    pub fn same_skeleton(&self, other: &Table) -> bool {
        self.family == other.family
            && self.name == other.name
            && self.counters == other.counters
            && self.chains == other.chains
            && self.sets.len() == other.sets.len()
            && self
                .sets
                .iter()
                .zip(&other.sets)
                .all(|(a, b)| (&a.name, a.key, a.interval, &a.comment) == (&b.name, b.key, b.interval, &b.comment))
    }

    /// The table's definition, as `nft -f` text.
    pub fn to_nft(&self) -> String {
        let mut out = format!("table {} {{\n", self.id());
        for set in &self.sets {
            let kind = if set.key == Key::EtherTypeVerdict { "map" } else { "set" };
            let _ = writeln!(out, "\t{kind} {} {{\n\t\ttype {}", set.name, set.key.text());
            if set.interval {
                out.push_str("\t\tflags interval\n");
            }
            let _ = writeln!(out, "\t\tcomment {}", quote(&set.comment));
            if !set.elements.is_empty() {
                let _ = writeln!(out, "\t\telements = {}", element_list(&set.elements, "\t\t"));
            }
            out.push_str("\t}\n");
        }
        for counter in &self.counters {
            let _ = writeln!(out, "\tcounter {} {{\n\t\tcomment {}\n\t}}", counter.name, quote(&counter.comment));
        }
        for chain in &self.chains {
            let _ = writeln!(out, "\tchain {} {{", chain.name);
            if let Some(hook) = &chain.hook {
                let _ = writeln!(out, "\t\t{hook}");
            }
            for rule in &chain.rules {
                if let Some(comment) = &rule.comment {
                    let _ = writeln!(out, "\t\t# {comment}");
                }
                let _ = writeln!(out, "\t\t{}", rule.text);
            }
            out.push_str("\t}\n");
        }
        out.push_str("}\n");
        out
    }
}

impl Ruleset {
    /// Every table's definition, as one `nft -f` file (creating the tables from nothing).
    pub fn to_nft(&self) -> String {
        let mut out = String::from("#!/usr/sbin/nft -f\n# Generated by the Chainwall redirector. Do not edit.\n");
        for table in &self.tables {
            out.push('\n');
            out.push_str(&table.to_nft());
        }
        out
    }

    /// The table with this family and name.
    pub fn table(&self, family: Family, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.family == family && t.name == name)
    }
}

/// `{ a, b }` on one line for up to four elements, else one element per line.
pub fn element_list<'a>(elements: impl IntoIterator<Item = &'a Element>, indent: &str) -> String {
    let texts: Vec<String> = elements.into_iter().map(Element::to_nft).collect();
    if texts.len() <= 4 {
        return format!("{{ {} }}", texts.join(", "));
    }
    let mut out = String::from("{\n");
    for text in &texts {
        let _ = writeln!(out, "{indent}\t{text},");
    }
    out.push_str(indent);
    out.push('}');
    out
}

/// A double-quoted nft string (quotes and backslashes cannot appear in it: they are dropped).
pub fn quote(s: &str) -> String {
    let clean: String = s.chars().filter(|c| !matches!(c, '"' | '\\' | '\n')).take(128).collect();
    format!("\"{clean}\"")
}
