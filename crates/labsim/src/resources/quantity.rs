//! `resource.Quantity` canonical strings (CAPACITY cells print `Quantity.String()`).
//!
//! The real apiserver stores quantities canonically (`1.5Gi` becomes `1536Mi`, `1000M` becomes
//! `1G`). labsim's store keeps what clients sent, so the printers canonicalize here. Unparsable
//! input is printed as sent rather than hidden.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    DecimalSi,
    BinarySi,
    DecimalExponent,
}

/// A parsed quantity: `mantissa * 2^exp2 * 10^exp10`.
struct Parsed {
    mantissa: i128,
    exp10: i32,
    exp2: u32,
    format: Format,
}

fn parse(s: &str) -> Option<Parsed> {
    let s = s.trim();
    let (neg, rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let num_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (num, suffix) = rest.split_at(num_end);
    let (int_part, frac_part) = num.split_once('.').unwrap_or((num, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let digits = format!("{int_part}{frac_part}");
    let mut mantissa: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    if neg {
        mantissa = -mantissa;
    }
    let mut exp10 = -(frac_part.len() as i32);
    let (exp2, format, extra10) = match suffix {
        "" => (0, Format::DecimalSi, 0),
        "n" => (0, Format::DecimalSi, -9),
        "u" => (0, Format::DecimalSi, -6),
        "m" => (0, Format::DecimalSi, -3),
        "k" => (0, Format::DecimalSi, 3),
        "M" => (0, Format::DecimalSi, 6),
        "G" => (0, Format::DecimalSi, 9),
        "T" => (0, Format::DecimalSi, 12),
        "P" => (0, Format::DecimalSi, 15),
        "E" => (0, Format::DecimalSi, 18),
        "Ki" => (10, Format::BinarySi, 0),
        "Mi" => (20, Format::BinarySi, 0),
        "Gi" => (30, Format::BinarySi, 0),
        "Ti" => (40, Format::BinarySi, 0),
        "Pi" => (50, Format::BinarySi, 0),
        "Ei" => (60, Format::BinarySi, 0),
        other => {
            let e = other.strip_prefix(['e', 'E'])?;
            (0, Format::DecimalExponent, e.parse::<i32>().ok()?)
        }
    };
    exp10 += extra10;
    Some(Parsed {
        mantissa,
        exp10,
        exp2,
        format,
    })
}

/// `(m, e)` with `e` a multiple of 3 (no trailing zeros beyond that), precision capped at 10^-9
/// rounding up like the apiserver.
fn decimal_parts(mut m: i128, mut e: i32) -> Option<(i128, i32)> {
    if m == 0 {
        return Some((0, 0));
    }
    if e < -9 {
        let div = 10i128.checked_pow((-9 - e) as u32)?;
        let q = m / div;
        m = if m % div != 0 && m > 0 { q + 1 } else { q };
        e = -9;
    }
    while m != 0 && m % 10 == 0 {
        m /= 10;
        e += 1;
    }
    while e.rem_euclid(3) != 0 {
        m = m.checked_mul(10)?;
        e -= 1;
    }
    while e > 18 {
        m = m.checked_mul(1000)?;
        e -= 3;
    }
    Some((m, e))
}

fn decimal_suffix(e: i32) -> &'static str {
    match e {
        -9 => "n",
        -6 => "u",
        -3 => "m",
        3 => "k",
        6 => "M",
        9 => "G",
        12 => "T",
        15 => "P",
        18 => "E",
        _ => "",
    }
}

fn canonical(p: &Parsed) -> Option<String> {
    let scaled = p.mantissa.checked_mul(1i128.checked_shl(p.exp2)?)?;
    if scaled == 0 {
        return Some("0".to_string());
    }
    if p.format == Format::BinarySi {
        // Exact integer value? Only then is it printed with a binary suffix.
        let int_value = if p.exp10 >= 0 {
            Some(scaled.checked_mul(10i128.checked_pow(p.exp10 as u32)?)?)
        } else {
            let div = 10i128.checked_pow((-p.exp10) as u32)?;
            (scaled % div == 0).then_some(scaled / div)
        };
        if let Some(mut v) = int_value.filter(|v| v.abs() >= 1024) {
            let mut e = 0;
            while e < 6 && v % 1024 == 0 {
                v /= 1024;
                e += 1;
            }
            let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][e];
            return Some(format!("{v}{suffix}"));
        }
    }
    let (m, e) = decimal_parts(scaled, p.exp10)?;
    if p.format == Format::DecimalExponent {
        return Some(if e == 0 {
            m.to_string()
        } else {
            format!("{m}e{e}")
        });
    }
    Some(format!("{m}{}", decimal_suffix(e)))
}

/// The canonical form of a quantity string, or the input itself when it does not parse.
pub fn canonicalize(s: &str) -> String {
    parse(s)
        .and_then(|p| canonical(&p))
        .unwrap_or_else(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::canonicalize;

    #[test]
    fn canonical_forms_match_apimachinery() {
        let cases = [
            ("1Gi", "1Gi"),
            ("10Gi", "10Gi"),
            ("1024Mi", "1Gi"),
            ("1536Mi", "1536Mi"),
            ("1.5Gi", "1536Mi"),
            ("0.5Ki", "512"),
            ("1000Ki", "1000Ki"),
            ("100Mi", "100Mi"),
            ("1000M", "1G"),
            ("1500M", "1500M"),
            ("1.5k", "1500"),
            ("1500000", "1500k"),
            ("5", "5"),
            ("0", "0"),
            ("0Gi", "0"),
            ("100m", "100m"),
            ("0.1", "100m"),
            ("1e3", "1e3"),
            ("2E6", "2e6"),
            ("-1Gi", "-1Gi"),
        ];
        for (input, want) in cases {
            assert_eq!(canonicalize(input), want, "for {input}");
        }
    }

    #[test]
    fn garbage_is_printed_as_sent() {
        assert_eq!(canonicalize("lots"), "lots");
        assert_eq!(canonicalize("5Xi"), "5Xi");
    }
}
