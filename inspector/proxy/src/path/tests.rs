use super::normalise;

/// (target as received, the canonical target inspected and forwarded; `None`: refused with 400).
const TABLE: &[(&str, Option<&str>)] = &[
    ("/", Some("/")),
    ("/a/b?x=1&y=%2F..", Some("/a/b?x=1&y=%2F..")),
    ("//admin", Some("/admin")),
    ("/a//b///c", Some("/a/b/c")),
    ("/./admin", Some("/admin")),
    ("/a/./b/.", Some("/a/b/")),
    ("/a/../admin", Some("/admin")),
    ("/../../admin", Some("/admin")),
    ("/a/b/..", Some("/a/")),
    ("/public/../admin/", Some("/admin/")),
    ("/%2e%2e/admin", Some("/admin")),
    ("/public/%2E%2E/admin", Some("/admin")),
    ("/.%2e/admin", Some("/admin")),
    ("/%61dmin", Some("/admin")),
    ("/a%7eb%2d", Some("/a~b-")),
    ("/caf%c3%a9", Some("/caf%C3%A9")),
    ("/a%20b", Some("/a%20b")),
    ("/a%3bb", Some("/a%3Bb")),
    ("/%252e%252e/admin", Some("/%252e%252e/admin")),
    ("\\admin", Some("/admin")),
    ("/public\\..\\admin", Some("/admin")),
    ("/admin;jsessionid=1", Some("/admin;jsessionid=1")),
    ("/a;x/../admin", Some("/admin")),
    ("/Admin", Some("/Admin")),
    ("*", Some("*")),
    ("/%2fadmin", None),
    ("/public%2F..%2Fadmin", None),
    ("/%5cadmin", None),
    ("/admin%00.html", None),
    ("/a%zz", None),
    ("/a%4", None),
    ("/public/..;/admin", None),
    ("/public/.;x/admin", None),
    ("/admin#frag", None),
    ("admin", None),
];

#[test]
fn path_table() {
    for (target, want) in TABLE {
        assert_eq!(normalise(target).ok().as_deref(), *want, "{target}");
    }
}

#[test]
fn normalising_is_idempotent() {
    for (_, want) in TABLE {
        if let Some(canonical) = want {
            assert_eq!(normalise(canonical).as_deref(), Ok(*canonical), "{canonical}");
        }
    }
}
