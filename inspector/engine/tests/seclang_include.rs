//! `Include`: relative paths, globs (sorted), nesting, cycles; `MemSource` and `FsSource`.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use inspector_engine::seclang::{
    Config, DirectiveKind, ErrorKind, FsSource, MemSource, Source, normalize, parse, wildcard_match,
};

fn markers(config: &Config) -> Vec<String> {
    let marker = |d: &inspector_engine::seclang::Directive| match &d.kind {
        DirectiveKind::Marker(m) => Some(format!("{m}@{}", d.location())),
        _ => None,
    };
    config.directives.iter().filter_map(marker).collect()
}

#[test]
fn wildcards() {
    let cases = [
        ("*.conf", "a.conf", true),
        ("*.conf", "a.conf.bak", false),
        ("*.conf", ".hidden.conf", false),
        (".*.conf", ".hidden.conf", true),
        ("REQUEST-9??-*.conf", "REQUEST-942-SQLI.conf", true),
        ("REQUEST-9??-*.conf", "REQUEST-94-SQLI.conf", false),
        ("a*b*c", "aXbYbc", true),
        ("a*b*c", "aXbYbcd", false),
        ("*", "", true),
        ("?", "", false),
        ("", "", true),
        ("**", "x", true),
    ];
    for (pattern, name, expected) in cases {
        assert_eq!(wildcard_match(pattern, name), expected, "{pattern} vs {name}");
    }
    assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
    assert_eq!(normalize(Path::new("../x/../../y")), PathBuf::from("../../y"));
    assert_eq!(normalize(Path::new("/../x")), PathBuf::from("/x"));
}

#[test]
fn includes_expand_in_place_relative_and_sorted() {
    let source = MemSource::new()
        .with("/waf/main.conf", "SecMarker M1\nInclude \"rules/*.conf\"\nInclude /waf/last.conf\nSecMarker M2\n")
        .with("/waf/rules/b.conf", "SecMarker B\n")
        .with("/waf/rules/a.conf", "SecMarker A\nInclude ../sub/./inner.conf\n")
        .with("/waf/rules/skip.txt", "SecMarker NO\n")
        .with("/waf/rules/.hidden.conf", "SecMarker NO\n")
        .with("/waf/sub/inner.conf", "\nSecMarker INNER\n")
        .with("/waf/last.conf", "SecMarker LAST\n");
    let config = parse(Path::new("/waf/main.conf"), &source).unwrap();
    assert_eq!(
        markers(&config),
        [
            "M1@/waf/main.conf:1",
            "A@/waf/rules/a.conf:1",
            "INNER@/waf/sub/inner.conf:2",
            "B@/waf/rules/b.conf:1",
            "LAST@/waf/last.conf:1",
            "M2@/waf/main.conf:4",
        ]
    );
    let files: Vec<&Path> = config.files.iter().map(|f| &**f).collect();
    assert_eq!(files.len(), 5);
    assert_eq!(files[0], Path::new("/waf/main.conf"));
}

#[test]
fn the_same_file_may_be_included_twice_but_not_inside_itself() {
    let source = MemSource::new()
        .with("/w/main.conf", "Include twice.conf\nInclude twice.conf\n")
        .with("/w/twice.conf", "SecMarker T\n");
    assert_eq!(parse(Path::new("/w/main.conf"), &source).unwrap().directives.len(), 2);

    let cases = [
        ("/w/self.conf", MemSource::new().with("/w/self.conf", "SecMarker A\nInclude self.conf"), "/w/self.conf", 2),
        (
            "/w/a.conf",
            MemSource::new().with("/w/a.conf", "Include b.conf").with("/w/b.conf", "\n\nInclude ./a.conf"),
            "/w/b.conf",
            3,
        ),
        (
            "/w/a.conf",
            MemSource::new().with("/w/a.conf", "Include d/*.conf").with("/w/d/x.conf", "Include ../a.conf"),
            "/w/d/x.conf",
            1,
        ),
    ];
    let chains = [
        "/w/self.conf -> /w/self.conf",
        "/w/a.conf -> /w/b.conf -> /w/a.conf",
        "/w/a.conf -> /w/d/x.conf -> /w/a.conf",
    ];
    for ((root, source, file, line), chain) in cases.into_iter().zip(chains) {
        let err = parse(Path::new(root), &source).unwrap_err();
        assert_eq!((err.file.to_str().unwrap(), err.line), (file, line), "{err}");
        assert_eq!(err.kind, ErrorKind::IncludeCycle(chain.into()), "{err}");
        assert!(err.to_string().contains("Include cycle"), "{err}");
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let mut source = MemSource::new();
    for i in 0..100 {
        source.insert(format!("/d/{i}.conf"), format!("Include {}.conf", i + 1));
    }
    let err = parse(Path::new("/d/0.conf"), &source).unwrap_err();
    assert!(matches!(err.kind, ErrorKind::IncludeTooDeep(_)), "{err}");
}

#[test]
fn filesystem_source_globs_and_reads() {
    let dir = std::env::temp_dir().join(format!("seclang-include-{}", std::process::id()));
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::create_dir_all(rules.join("dir.conf")).unwrap();
    let files = [
        ("main.conf", "Include rules/*.conf\nSecMarker END\n".as_bytes()),
        ("rules/20-b.conf", b"SecMarker B\n"),
        ("rules/10-a.conf", b"SecMarker A\xff\n"),
        ("rules/notes.txt", b"not included\n"),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let found = FsSource.glob(&rules.join("*.conf")).unwrap();
    assert_eq!(found, [rules.join("10-a.conf"), rules.join("20-b.conf")]);
    assert_eq!(FsSource.glob(&dir.join("r?les/1*")).unwrap(), [rules.join("10-a.conf")]);
    assert_eq!(FsSource.glob(&dir.join("*/none-*")).unwrap(), Vec::<PathBuf>::new());

    let config = parse(&dir.join("main.conf"), &FsSource).unwrap();
    let names: Vec<String> = markers(&config).iter().map(|m| m.split('@').next().unwrap().to_string()).collect();
    assert_eq!(names, ["A\u{fffd}", "B", "END"]);
    std::fs::remove_dir_all(&dir).unwrap();
}
