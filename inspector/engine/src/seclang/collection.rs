//! Every variable (collection) name of ModSecurity v3's SecLang.

macro_rules! collections {
    ($($variant:ident => $name:literal $(, $keyed:ident)?;)*) => {
        /// A SecLang variable. Keyed ones ([`Collection::is_keyed`]) accept a selector
        /// (`ARGS:foo`, `TX:/^a/`); the others are scalars.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Collection {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        impl Collection {
            /// All variables, in alphabetical order of their names.
            pub const ALL: &'static [Collection] = &[$(Collection::$variant),*];

            /// The SecLang name (upper case, as documented).
            pub fn name(self) -> &'static str {
                match self {
                    $(Collection::$variant => $name,)*
                }
            }

            /// Whether the variable is a collection that takes a `:selector`.
            pub fn is_keyed(self) -> bool {
                match self {
                    $(Collection::$variant => collections!(@keyed $($keyed)?),)*
                }
            }
        }
    };
    (@keyed keyed) => { true };
    (@keyed) => { false };
}

collections! {
    Args => "ARGS", keyed;
    ArgsCombinedSize => "ARGS_COMBINED_SIZE";
    ArgsGet => "ARGS_GET", keyed;
    ArgsGetNames => "ARGS_GET_NAMES", keyed;
    ArgsNames => "ARGS_NAMES", keyed;
    ArgsPost => "ARGS_POST", keyed;
    ArgsPostNames => "ARGS_POST_NAMES", keyed;
    AuthType => "AUTH_TYPE";
    Duration => "DURATION";
    Env => "ENV", keyed;
    Files => "FILES", keyed;
    FilesCombinedSize => "FILES_COMBINED_SIZE";
    FilesNames => "FILES_NAMES", keyed;
    FilesSizes => "FILES_SIZES", keyed;
    FilesTmpContent => "FILES_TMP_CONTENT", keyed;
    FilesTmpNames => "FILES_TMPNAMES", keyed;
    FullRequest => "FULL_REQUEST";
    FullRequestLength => "FULL_REQUEST_LENGTH";
    Geo => "GEO", keyed;
    Global => "GLOBAL", keyed;
    HighestSeverity => "HIGHEST_SEVERITY";
    InboundDataError => "INBOUND_DATA_ERROR";
    Ip => "IP", keyed;
    MatchedVar => "MATCHED_VAR";
    MatchedVarName => "MATCHED_VAR_NAME";
    MatchedVars => "MATCHED_VARS", keyed;
    MatchedVarsNames => "MATCHED_VARS_NAMES", keyed;
    ModsecBuild => "MODSEC_BUILD";
    MultipartBoundaryQuoted => "MULTIPART_BOUNDARY_QUOTED";
    MultipartBoundaryWhitespace => "MULTIPART_BOUNDARY_WHITESPACE";
    MultipartCrlfLfLines => "MULTIPART_CRLF_LF_LINES";
    MultipartDataAfter => "MULTIPART_DATA_AFTER";
    MultipartDataBefore => "MULTIPART_DATA_BEFORE";
    MultipartFileLimitExceeded => "MULTIPART_FILE_LIMIT_EXCEEDED";
    MultipartFilename => "MULTIPART_FILENAME", keyed;
    MultipartHeaderFolding => "MULTIPART_HEADER_FOLDING";
    MultipartInvalidHeaderFolding => "MULTIPART_INVALID_HEADER_FOLDING";
    MultipartInvalidPart => "MULTIPART_INVALID_PART";
    MultipartInvalidQuoting => "MULTIPART_INVALID_QUOTING";
    MultipartLfLine => "MULTIPART_LF_LINE";
    MultipartMissingSemicolon => "MULTIPART_MISSING_SEMICOLON";
    MultipartName => "MULTIPART_NAME", keyed;
    MultipartPartHeaders => "MULTIPART_PART_HEADERS", keyed;
    MultipartStrictError => "MULTIPART_STRICT_ERROR";
    MultipartUnmatchedBoundary => "MULTIPART_UNMATCHED_BOUNDARY";
    OutboundDataError => "OUTBOUND_DATA_ERROR";
    PathInfo => "PATH_INFO";
    QueryString => "QUERY_STRING";
    RemoteAddr => "REMOTE_ADDR";
    RemoteHost => "REMOTE_HOST";
    RemotePort => "REMOTE_PORT";
    RemoteUser => "REMOTE_USER";
    ReqbodyError => "REQBODY_ERROR";
    ReqbodyErrorMsg => "REQBODY_ERROR_MSG";
    ReqbodyProcessor => "REQBODY_PROCESSOR";
    ReqbodyProcessorError => "REQBODY_PROCESSOR_ERROR";
    ReqbodyProcessorErrorMsg => "REQBODY_PROCESSOR_ERROR_MSG";
    RequestBasename => "REQUEST_BASENAME";
    RequestBody => "REQUEST_BODY";
    RequestBodyLength => "REQUEST_BODY_LENGTH";
    RequestCookies => "REQUEST_COOKIES", keyed;
    RequestCookiesNames => "REQUEST_COOKIES_NAMES", keyed;
    RequestFilename => "REQUEST_FILENAME";
    RequestHeaders => "REQUEST_HEADERS", keyed;
    RequestHeadersNames => "REQUEST_HEADERS_NAMES", keyed;
    RequestLine => "REQUEST_LINE";
    RequestMethod => "REQUEST_METHOD";
    RequestProtocol => "REQUEST_PROTOCOL";
    RequestUri => "REQUEST_URI";
    RequestUriRaw => "REQUEST_URI_RAW";
    Resource => "RESOURCE", keyed;
    ResponseBody => "RESPONSE_BODY";
    ResponseContentLength => "RESPONSE_CONTENT_LENGTH";
    ResponseContentType => "RESPONSE_CONTENT_TYPE";
    ResponseHeaders => "RESPONSE_HEADERS", keyed;
    ResponseHeadersNames => "RESPONSE_HEADERS_NAMES", keyed;
    ResponseProtocol => "RESPONSE_PROTOCOL";
    ResponseStatus => "RESPONSE_STATUS";
    Rule => "RULE", keyed;
    ServerAddr => "SERVER_ADDR";
    ServerName => "SERVER_NAME";
    ServerPort => "SERVER_PORT";
    Session => "SESSION", keyed;
    SessionId => "SESSIONID";
    Status => "STATUS";
    StatusLine => "STATUS_LINE";
    Time => "TIME";
    TimeDay => "TIME_DAY";
    TimeEpoch => "TIME_EPOCH";
    TimeHour => "TIME_HOUR";
    TimeMin => "TIME_MIN";
    TimeMon => "TIME_MON";
    TimeSec => "TIME_SEC";
    TimeWday => "TIME_WDAY";
    TimeYear => "TIME_YEAR";
    Tx => "TX", keyed;
    UniqueId => "UNIQUE_ID";
    UrlencodedError => "URLENCODED_ERROR";
    User => "USER", keyed;
    UserId => "USERID";
    WebAppId => "WEBAPPID";
    Xml => "XML", keyed;
}

impl Collection {
    /// The variable called `name` (case-insensitive), if ModSecurity v3 has it.
    /// `MULTIPART_SEMICOLON_MISSING` is an alias of `MULTIPART_MISSING_SEMICOLON`.
    pub fn from_name(name: &str) -> Option<Collection> {
        if name.eq_ignore_ascii_case("MULTIPART_SEMICOLON_MISSING") {
            return Some(Collection::MultipartMissingSemicolon);
        }
        Collection::ALL.iter().copied().find(|c| c.name().eq_ignore_ascii_case(name))
    }
}

impl std::fmt::Display for Collection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
