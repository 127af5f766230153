//! SecLang parsing: configuration text to directives, each with its file and line.
//! (Being written: see the parser module docs once it lands.)
