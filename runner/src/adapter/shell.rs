//! `--host "<cmd>"` split like a POSIX shell: words, single and double quotes, backslash
//! escapes, and `$VAR` / `${VAR}` expanded from the environment (not inside single quotes).
//! No globbing, pipes or redirections: the result is run directly, without a shell.

/// The words of `line`, or what is wrong with it.
pub fn split(line: &str, env: impl Fn(&str) -> Option<String>) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some((_, '\'')) => break,
                        Some((_, c)) => word.push(c),
                        None => return Err(format!("unterminated ' at column {}", at + 1)),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some((_, '"')) => break,
                        Some((_, '\\')) => match chars.next() {
                            Some((_, c @ ('"' | '\\' | '$' | '`'))) => word.push(c),
                            Some((_, c)) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err(format!("unterminated \" at column {}", at + 1)),
                        },
                        Some((i, '$')) => word.push_str(&variable(&mut chars, i, &env)?),
                        Some((_, c)) => word.push(c),
                        None => return Err(format!("unterminated \" at column {}", at + 1)),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some((_, c)) => word.push(c),
                    None => return Err("a lone \\ at the end".to_string()),
                }
            }
            '$' => {
                in_word = true;
                word.push_str(&variable(&mut chars, at, &env)?);
            }
            '|' | '&' | ';' | '<' | '>' | '`' => {
                return Err(format!(
                    "`{c}` at column {} needs a shell; wrap the command in a script",
                    at + 1
                ));
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    if words.is_empty() {
        return Err("the host command is empty".to_string());
    }
    Ok(words)
}

/// The value of the variable after a `$` at `at`; unset variables are empty, as in a shell.
fn variable(
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    at: usize,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let mut name = String::new();
    if chars.peek().map(|(_, c)| *c) == Some('{') {
        chars.next();
        loop {
            match chars.next() {
                Some((_, '}')) => break,
                Some((_, c)) if c.is_ascii_alphanumeric() || c == '_' => name.push(c),
                _ => return Err(format!("bad ${{...}} at column {}", at + 1)),
            }
        }
    } else {
        while let Some((_, c)) = chars.peek().copied() {
            if !(c.is_ascii_alphanumeric() || c == '_') {
                break;
            }
            name.push(c);
            chars.next();
        }
        if name.is_empty() {
            return Ok("$".to_string());
        }
    }
    Ok(env(&name).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOME" => Some("/root".into()),
            "SPACED" => Some("a b".into()),
            _ => None,
        }
    }

    #[test]
    fn words_quotes_and_variables() {
        let ok = |line: &str| split(line, env).unwrap_or_else(|e| vec![format!("error: {e}")]);
        assert_eq!(ok("  host  run "), ["host", "run"]);
        assert_eq!(ok(r#"'a b' "c d" e\ f"#), ["a b", "c d", "e f"]);
        assert_eq!(ok("$HOME/bin/h ${HOME}x"), ["/root/bin/h", "/rootx"]);
        assert_eq!(ok("'$HOME' \"$SPACED\" $UNSET-x"), ["$HOME", "a b", "-x"]);
        assert_eq!(ok(r#""say \"hi\" \n""#), [r#"say "hi" \n"#]);
        assert_eq!(ok("cost $ 5"), ["cost", "$", "5"]);
    }

    #[test]
    fn mistakes_are_named() {
        let err = |line: &str| split(line, env).err().unwrap_or_default();
        assert!(err("'open").contains("unterminated ' at column 1"));
        assert!(err("x \"open").contains("unterminated \" at column 3"));
        assert!(err("a | b").contains("`|` at column 3 needs a shell"));
        assert!(err("   ").contains("empty"));
        assert!(err("${A").contains("bad ${...}"));
        assert!(err("x \\").contains("lone"));
    }
}
