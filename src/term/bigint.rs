//! Integers beyond 64 bits, as `file:consult` reads them (Erlang has bignums): kept as a sign
//! and decimal digits, which is all release files need of them (print, compare, test the
//! sign). No arithmetic library for that.

/// An integer of any size: sign and decimal digits without leading zeros.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BigInteger {
    negative: bool,
    digits: Box<str>,
}

/// Based integers (`16#...`) are converted to decimal in quadratic time, so their length is
/// bounded; decimal integers of any length are read in linear time.
pub const MAX_BASED_DIGITS: usize = 20_000;

impl BigInteger {
    /// From decimal digits (`_` separators allowed, leading zeros dropped).
    pub fn from_decimal(negative: bool, text: &str) -> BigInteger {
        let digits: String = text
            .bytes()
            .filter(u8::is_ascii_digit)
            .skip_while(|&b| b == b'0')
            .map(char::from)
            .collect();
        let digits = if digits.is_empty() {
            "0".to_string()
        } else {
            digits
        };
        BigInteger {
            negative: negative && digits != "0",
            digits: digits.into(),
        }
    }

    /// From digit values in `base` (most significant first); `None` past
    /// [`MAX_BASED_DIGITS`].
    pub fn from_base(base: u32, values: &[u32]) -> Option<BigInteger> {
        if values.len() > MAX_BASED_DIGITS {
            return None;
        }
        // Little-endian limbs of 10^9.
        const LIMB: u64 = 1_000_000_000;
        let mut limbs: Vec<u64> = vec![0];
        for &v in values {
            let mut carry = u64::from(v);
            for limb in &mut limbs {
                let x = *limb * u64::from(base) + carry;
                *limb = x % LIMB;
                carry = x / LIMB;
            }
            while carry > 0 {
                limbs.push(carry % LIMB);
                carry /= LIMB;
            }
        }
        let mut text = String::new();
        for (i, limb) in limbs.iter().rev().enumerate() {
            if i == 0 {
                text.push_str(&limb.to_string());
            } else {
                text.push_str(&format!("{limb:09}"));
            }
        }
        Some(BigInteger::from_decimal(false, &text))
    }

    /// The integer when it fits 128 bits.
    pub fn to_i128(&self) -> Option<i128> {
        let magnitude: i128 = self.digits.parse().ok()?;
        Some(if self.negative { -magnitude } else { magnitude })
    }

    /// The same integer with the other sign.
    pub fn negated(&self) -> BigInteger {
        BigInteger {
            negative: !self.negative && &*self.digits != "0",
            digits: self.digits.clone(),
        }
    }

    /// True below zero.
    pub fn is_negative(&self) -> bool {
        self.negative
    }
}

impl From<i128> for BigInteger {
    fn from(v: i128) -> Self {
        BigInteger::from_decimal(v < 0, &v.unsigned_abs().to_string())
    }
}

impl std::fmt::Display for BigInteger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        f.write_str(&self.digits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_and_based_agree() {
        let big = BigInteger::from_decimal(false, "340282366920938463463374607431768211456");
        let hex: Vec<u32> = std::iter::once(1)
            .chain(std::iter::repeat_n(0, 32))
            .collect();
        assert_eq!(BigInteger::from_base(16, &hex), Some(big.clone()));
        assert_eq!(big.to_string(), "340282366920938463463374607431768211456");
        assert_eq!(big.to_i128(), None);
        assert_eq!(BigInteger::from(-5i128).to_i128(), Some(-5));
        assert_eq!(BigInteger::from_decimal(true, "000").to_string(), "0");
        assert_eq!(BigInteger::from_decimal(false, "1_000").to_string(), "1000");
    }
}
