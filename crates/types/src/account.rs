//! Test coins: an account per public key, balances in nanos, transfers signed by the sender.
//!
//! An account is a CRDT of two grow-only sets: credits, keyed by their id, and debits, keyed by
//! the sender's nonce (1, 2, 3, ...). Replicas merge by union. A debit is accepted only with the
//! owner's signature, only as the next nonce, and only if the balance covers it; two different
//! debits can never share a nonce, which is what stops a double spend at each replica (the
//! nodes then make sure only one of two conflicting debits can reach a majority).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use xor_name::XorName;

use crate::keys::{Keypair, PublicKey, Signature};

/// Nanos in one coin: amounts have 9 decimals.
pub const NANOS_PER_COIN: u64 = 1_000_000_000;
/// The most debits (and, separately, credits) an account holds, so it fits in one wire frame.
pub const MAX_ACCOUNT_OPS: usize = 4096;

const TRANSFER_DOMAIN: &[u8] = b"safe:transfer:v1";

/// An amount of coins, counted in nanos.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Amount(pub u64);

impl Amount {
    /// The amount in nanos.
    pub fn nanos(self) -> u64 {
        self.0
    }
}

/// Why a string is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{input}' is not an amount: {reason}; write a decimal number of coins with at most 9 decimals, e.g. \"9\" or \"0.5\"")]
pub struct AmountError {
    input: String,
    reason: &'static str,
}

impl FromStr for Amount {
    type Err = AmountError;

    /// Parses a decimal number of coins: `"9"`, `"0.5"`, `"1.000000001"`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| AmountError { input: s.to_owned(), reason };
        let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
        if whole.is_empty() && fraction.is_empty() {
            return Err(err("it is empty"));
        }
        let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || !digits(fraction) || (s.contains('.') && fraction.is_empty()) {
            return Err(err("it has characters other than digits and one decimal point"));
        }
        if fraction.len() > 9 {
            return Err(err("it has more than 9 decimals"));
        }
        let whole: u64 =
            if whole.is_empty() { 0 } else { whole.parse().map_err(|_| err("it is too large"))? };
        let mut frac: u64 = if fraction.is_empty() {
            0
        } else {
            fraction.parse().map_err(|_| err("it is malformed"))?
        };
        for _ in fraction.len()..9 {
            frac *= 10;
        }
        whole
            .checked_mul(NANOS_PER_COIN)
            .and_then(|n| n.checked_add(frac))
            .map(Amount)
            .ok_or_else(|| err("it is too large"))
    }
}

impl fmt::Display for Amount {
    /// The shortest decimal form: `9`, `0.5`, `1.000000001`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / NANOS_PER_COIN;
        let frac = self.0 % NANOS_PER_COIN;
        if frac == 0 {
            return write!(f, "{whole}");
        }
        let digits = format!("{frac:09}");
        write!(f, "{whole}.{}", digits.trim_end_matches('0'))
    }
}

/// A payment from one key's account to another's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// The paying account's key.
    pub from: PublicKey,
    /// The receiving account's key.
    pub to: PublicKey,
    /// How much.
    pub amount: Amount,
    /// The sender's sequence number: 1 for its first transfer, then 2, 3, ...
    pub nonce: u64,
    /// Random bytes chosen by the sender, so two transfers with the same terms are two
    /// transfers (and compete for a nonce) while a retry of one transfer stays the same one.
    pub reference: [u8; 16],
}

/// Identifies a transfer (or a faucet credit): SHA3-256 of its encoding.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TransferId(pub [u8; 32]);

impl fmt::Debug for TransferId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TransferId({})", hex::encode(self.0))
    }
}

impl fmt::Display for TransferId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// A transfer with the sender's signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedTransfer {
    /// The transfer.
    pub transfer: Transfer,
    /// The sender's signature of it.
    pub signature: Signature,
}

impl SignedTransfer {
    /// Signs `transfer` with the sender's key pair.
    pub fn new(transfer: Transfer, sender: &Keypair) -> Self {
        let signature = sender.sign(TRANSFER_DOMAIN, &transfer);
        Self { transfer, signature }
    }

    /// Whether the sender named in the transfer signed it.
    pub fn verify(&self) -> bool {
        self.transfer.from.verify(TRANSFER_DOMAIN, &self.transfer, &self.signature)
    }

    /// The transfer's id.
    pub fn id(&self) -> TransferId {
        let bytes = postcard::to_allocvec(&self.transfer).unwrap_or_default();
        TransferId(XorName::from_content(&bytes).0)
    }
}

/// Money arriving in an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Credit {
    /// A transfer from another account.
    Transfer(SignedTransfer),
    /// Coins made by a test network's faucet (only nodes of a faucet-enabled network make them).
    Faucet {
        /// The receiving key.
        to: PublicKey,
        /// How much.
        amount: Amount,
        /// A unique id chosen by the requester.
        id: TransferId,
    },
}

impl Credit {
    /// The credit's id (a transfer's id, or the faucet's).
    pub fn id(&self) -> TransferId {
        match self {
            Self::Transfer(t) => t.id(),
            Self::Faucet { id, .. } => *id,
        }
    }

    /// The receiving key.
    pub fn to(&self) -> PublicKey {
        match self {
            Self::Transfer(t) => t.transfer.to,
            Self::Faucet { to, .. } => *to,
        }
    }

    /// How much arrives.
    pub fn amount(&self) -> Amount {
        match self {
            Self::Transfer(t) => t.transfer.amount,
            Self::Faucet { amount, .. } => *amount,
        }
    }
}

/// Why an account refused an operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// The debit or credit is not for this account.
    #[error("the transfer is not for this account")]
    WrongAccount,
    /// The transfer is not signed by its sender.
    #[error("the transfer is not signed by its sender")]
    BadSignature,
    /// A transfer of nothing, or to oneself.
    #[error("a transfer must move a positive amount to another account")]
    Pointless,
    /// The nonce is not the account's next one.
    #[error("transfer nonce {got} is not the account's next nonce {expected}")]
    OutOfOrder {
        /// The account's next nonce.
        expected: u64,
        /// The transfer's nonce.
        got: u64,
    },
    /// Another transfer already spent this nonce.
    #[error("another transfer already used nonce {nonce}: the coins were spent")]
    DoubleSpend {
        /// The nonce used twice.
        nonce: u64,
    },
    /// The balance does not cover the amount.
    #[error("balance {balance} does not cover {amount}")]
    InsufficientFunds {
        /// The balance.
        balance: Amount,
        /// The amount asked for.
        amount: Amount,
    },
    /// The account holds [`MAX_ACCOUNT_OPS`] debits or credits already.
    #[error("the account is full ({MAX_ACCOUNT_OPS} operations)")]
    Full,
    /// Balances would not fit in 64 bits.
    #[error("the balance would overflow")]
    Overflow,
    /// A faucet credit in a network without a faucet.
    #[error("this network has no faucet: faucet credits are not accepted")]
    NoFaucet,
}

/// One account replica.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    owner: PublicKey,
    debits: BTreeMap<u64, SignedTransfer>,
    credits: BTreeMap<TransferId, Credit>,
}

impl Account {
    /// An empty account of `owner`.
    pub fn new(owner: PublicKey) -> Self {
        Self { owner, debits: BTreeMap::new(), credits: BTreeMap::new() }
    }

    /// Whose account it is.
    pub fn owner(&self) -> &PublicKey {
        &self.owner
    }

    /// The nonce the owner's next transfer must carry.
    pub fn next_nonce(&self) -> u64 {
        self.debits.len() as u64 + 1
    }

    /// The debit with `nonce`, if any.
    pub fn debit(&self, nonce: u64) -> Option<&SignedTransfer> {
        self.debits.get(&nonce)
    }

    /// Credits in minus debits out.
    pub fn balance(&self) -> Result<Amount, AccountError> {
        let credits = self.credits.values().try_fold(0u64, |sum, c| sum.checked_add(c.amount().0));
        let debits =
            self.debits.values().try_fold(0u64, |sum, d| sum.checked_add(d.transfer.amount.0));
        match (credits, debits) {
            (Some(c), Some(d)) => c.checked_sub(d).map(Amount).ok_or(AccountError::Overflow),
            _ => Err(AccountError::Overflow),
        }
    }

    /// How many credits and debits it holds.
    pub fn operations(&self) -> (usize, usize) {
        (self.credits.len(), self.debits.len())
    }

    /// Applies a debit signed by the owner. Returns whether it was new (applying the same
    /// debit twice is a no-op).
    pub fn apply_debit(&mut self, debit: &SignedTransfer) -> Result<bool, AccountError> {
        let t = &debit.transfer;
        if t.from != self.owner {
            return Err(AccountError::WrongAccount);
        }
        if t.amount.0 == 0 || t.to == t.from {
            return Err(AccountError::Pointless);
        }
        if !debit.verify() {
            return Err(AccountError::BadSignature);
        }
        if let Some(existing) = self.debits.get(&t.nonce) {
            return if existing == debit {
                Ok(false)
            } else {
                Err(AccountError::DoubleSpend { nonce: t.nonce })
            };
        }
        if t.nonce != self.next_nonce() {
            return Err(AccountError::OutOfOrder { expected: self.next_nonce(), got: t.nonce });
        }
        let balance = self.balance()?;
        if balance < t.amount {
            return Err(AccountError::InsufficientFunds { balance, amount: t.amount });
        }
        if self.debits.len() >= MAX_ACCOUNT_OPS {
            return Err(AccountError::Full);
        }
        self.debits.insert(t.nonce, debit.clone());
        Ok(true)
    }

    /// Applies a credit. Transfer credits must be signed by their sender; faucet credits are
    /// the caller's to vouch for. Returns whether it was new.
    pub fn apply_credit(&mut self, credit: &Credit) -> Result<bool, AccountError> {
        if credit.to() != self.owner {
            return Err(AccountError::WrongAccount);
        }
        if credit.amount().0 == 0 {
            return Err(AccountError::Pointless);
        }
        if let Credit::Transfer(t) = credit {
            if !t.verify() {
                return Err(AccountError::BadSignature);
            }
        }
        let id = credit.id();
        if self.credits.contains_key(&id) {
            return Ok(false);
        }
        if self.credits.len() >= MAX_ACCOUNT_OPS {
            return Err(AccountError::Full);
        }
        let total =
            self.credits.values().try_fold(credit.amount().0, |s, c| s.checked_add(c.amount().0));
        if total.is_none() {
            return Err(AccountError::Overflow);
        }
        self.credits.insert(id, credit.clone());
        Ok(true)
    }

    /// Merges another replica: credits first (they can only raise the balance), then debits
    /// in nonce order. Faucet credits are taken only if `faucet` says the network mints coins
    /// (a replica from a faucet-less network cannot bring coins out of thin air). A credit or
    /// debit that fails its checks is skipped and the first such failure reported after the
    /// rest were merged. Returns whether anything was added.
    pub fn merge(&mut self, other: &Account, faucet: bool) -> Result<bool, AccountError> {
        if other.owner != self.owner {
            return Err(AccountError::WrongAccount);
        }
        let mut changed = false;
        let mut first_error = None;
        for credit in other.credits.values() {
            if !faucet && matches!(credit, Credit::Faucet { .. }) {
                first_error.get_or_insert(AccountError::NoFaucet);
                continue;
            }
            match self.apply_credit(credit) {
                Ok(new) => changed |= new,
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        for debit in other.debits.values() {
            match self.apply_debit(debit) {
                Ok(new) => changed |= new,
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(changed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kp(seed: u8) -> Keypair {
        Keypair::from_secret_bytes(&[seed; 32])
    }

    fn faucet(to: &Keypair, coins: &str, id: u8) -> Credit {
        Credit::Faucet {
            to: to.public_key(),
            amount: coins.parse().expect("amount"),
            id: TransferId([id; 32]),
        }
    }

    fn pay(from: &Keypair, to: &Keypair, coins: &str, nonce: u64) -> SignedTransfer {
        let t = Transfer {
            from: from.public_key(),
            to: to.public_key(),
            amount: coins.parse().expect("amount"),
            nonce,
            reference: [nonce as u8; 16],
        };
        SignedTransfer::new(t, from)
    }

    #[test]
    fn amounts_parse_and_print_in_shortest_form() {
        for (text, nanos, shown) in [
            ("9", 9 * NANOS_PER_COIN, "9"),
            ("0.5", NANOS_PER_COIN / 2, "0.5"),
            (".5", NANOS_PER_COIN / 2, "0.5"),
            ("1.000000001", NANOS_PER_COIN + 1, "1.000000001"),
            ("0", 0, "0"),
            ("007.10", 7_100_000_000, "7.1"),
            ("18446744073.709551615", u64::MAX, "18446744073.709551615"),
        ] {
            let amount: Amount = text.parse().expect(text);
            assert_eq!(amount.nanos(), nanos, "{text}");
            assert_eq!(amount.to_string(), shown, "{text}");
        }
        for bad in [
            "",
            ".",
            "1.",
            "-1",
            "1.0000000001",
            "1e9",
            " 1",
            "18446744073.709551616",
            "1.2.3",
            "abc",
        ] {
            assert!(bad.parse::<Amount>().is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn balance_is_credits_minus_debits() {
        let (alice, bob) = (kp(1), kp(2));
        let mut a = Account::new(alice.public_key());
        assert_eq!(a.apply_credit(&faucet(&alice, "9", 1)), Ok(true));
        assert_eq!(a.apply_credit(&faucet(&alice, "9", 1)), Ok(false));
        assert_eq!(a.apply_debit(&pay(&alice, &bob, "2.5", 1)), Ok(true));
        assert_eq!(a.balance().expect("balance").to_string(), "6.5");
        assert_eq!(a.next_nonce(), 2);
    }

    #[test]
    fn refuses_double_spends_overdrafts_and_forgeries() {
        let (alice, bob, carol) = (kp(1), kp(2), kp(3));
        let mut a = Account::new(alice.public_key());
        a.apply_credit(&faucet(&alice, "5", 1)).expect("credit");
        let first = pay(&alice, &bob, "4", 1);
        assert_eq!(a.apply_debit(&first), Ok(true));
        assert_eq!(a.apply_debit(&first), Ok(false));
        assert_eq!(
            a.apply_debit(&pay(&alice, &carol, "4", 1)),
            Err(AccountError::DoubleSpend { nonce: 1 })
        );
        assert!(matches!(
            a.apply_debit(&pay(&alice, &carol, "4", 2)),
            Err(AccountError::InsufficientFunds { .. })
        ));
        assert_eq!(
            a.apply_debit(&pay(&alice, &carol, "1", 3)),
            Err(AccountError::OutOfOrder { expected: 2, got: 3 })
        );
        assert_eq!(a.apply_debit(&pay(&bob, &carol, "1", 2)), Err(AccountError::WrongAccount));
        let mut forged = pay(&alice, &carol, "1", 2);
        forged.transfer.to = bob.public_key();
        assert_eq!(a.apply_debit(&forged), Err(AccountError::BadSignature));
        assert_eq!(a.apply_debit(&pay(&alice, &alice, "1", 2)), Err(AccountError::Pointless));
        assert_eq!(a.balance().expect("balance").to_string(), "1");
    }

    #[test]
    fn replicas_merge_by_union_and_keep_the_first_of_conflicting_debits() {
        let (alice, bob, carol) = (kp(1), kp(2), kp(3));
        let mut r1 = Account::new(alice.public_key());
        r1.apply_credit(&faucet(&alice, "10", 1)).expect("credit");
        let mut r2 = r1.clone();
        r1.apply_debit(&pay(&alice, &bob, "3", 1)).expect("debit");
        r2.apply_credit(&faucet(&alice, "1", 2)).expect("credit");
        let mut m = r1.clone();
        assert_eq!(m.merge(&r2, true), Ok(true));
        assert_eq!(m.balance().expect("balance").to_string(), "8");
        // r3 spent nonce 1 differently: the merge keeps ours and reports the conflict.
        let mut r3 = Account::new(alice.public_key());
        r3.apply_credit(&faucet(&alice, "10", 1)).expect("credit");
        r3.apply_debit(&pay(&alice, &carol, "3", 1)).expect("debit");
        assert_eq!(m.merge(&r3, true), Err(AccountError::DoubleSpend { nonce: 1 }));
        assert_eq!(m.debit(1).map(|d| d.transfer.to), Some(bob.public_key()));
    }

    #[test]
    fn a_faucet_less_merge_refuses_minted_coins() {
        let (alice, bob) = (kp(1), kp(2));
        let mut minted = Account::new(alice.public_key());
        minted.apply_credit(&faucet(&alice, "1000", 1)).expect("credit");
        minted.apply_credit(&Credit::Transfer(pay(&bob, &alice, "1", 1))).expect("credit");
        let mut honest = Account::new(alice.public_key());
        assert_eq!(honest.merge(&minted, false), Err(AccountError::NoFaucet));
        assert_eq!(
            honest.balance().expect("balance").to_string(),
            "1",
            "the transfer came through"
        );
        assert_eq!(honest.merge(&minted, true), Ok(true));
        assert_eq!(honest.balance().expect("balance").to_string(), "1001");
    }

    #[test]
    fn credits_check_the_senders_signature() {
        let (alice, bob) = (kp(1), kp(2));
        let mut b = Account::new(bob.public_key());
        let mut t = pay(&alice, &bob, "1", 1);
        assert_eq!(b.apply_credit(&Credit::Transfer(t.clone())), Ok(true));
        t.transfer.amount = Amount(5 * NANOS_PER_COIN);
        assert_eq!(b.apply_credit(&Credit::Transfer(t)), Err(AccountError::BadSignature));
        assert_eq!(b.apply_credit(&faucet(&alice, "1", 9)), Err(AccountError::WrongAccount));
    }
}
