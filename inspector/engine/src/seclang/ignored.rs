//! Directives accepted but ignored, and directives refused.

/// Directives accepted and ignored: they only drive ModSecurity's own I/O and limits.
pub const IGNORED: &[&str] = &[
    "SecArgumentsLimit",
    "SecAuditEngine",
    "SecAuditLog",
    "SecAuditLog2",
    "SecAuditLogDirMode",
    "SecAuditLogFileMode",
    "SecAuditLogFormat",
    "SecAuditLogParts",
    "SecAuditLogRelevantStatus",
    "SecAuditLogStorageDir",
    "SecAuditLogType",
    "SecCookieFormat",
    "SecDataDir",
    "SecDebugLog",
    "SecDebugLogLevel",
    "SecGeoLookupDb",
    "SecHttpBlKey",
    "SecPcreMatchLimit",
    "SecPcreMatchLimitRecursion",
    "SecRequestBodyInMemoryLimit",
    "SecRequestBodyJsonDepthLimit",
    "SecStatusEngine",
    "SecTmpDir",
    "SecTmpSaveUploadedFiles",
    "SecUnicodeMapFile",
    "SecUploadDir",
    "SecUploadFileLimit",
    "SecUploadFileMode",
    "SecUploadKeepFiles",
    "SecWebAppId",
    "SecXmlExternalEntity",
];

/// Directives ModSecurity v3 knows that this engine refuses (network access, Lua).
pub const UNSUPPORTED: &[&str] = &["SecRemoteRules", "SecRemoteRulesFailAction", "SecRuleScript"];
