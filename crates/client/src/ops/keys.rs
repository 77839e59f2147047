//! Keys and test coins: new key pairs, balances merged from a majority of an account's holders,
//! transfers coordinated by the sending account's closest holder, and the faucet of a test
//! network. A dry runner reads balances but sends no transfer and asks no faucet: it gives the
//! id the transfer would have had.

use safe_types::account::{Account, Amount, SignedTransfer, Transfer, TransferId};
use safe_types::keys::{Keypair, PublicKey};
use safe_types::wire::{Request, Response};
use safe_types::{ContentType, DataType, SafeUrl};
use tracing::debug;

use super::connect::current_map;
use super::quorum::{first_verified, messages, read_majority, worst};
use futures::FutureExt;

use super::output::{KeypairInfo, Started};
use crate::error::{Error, ErrorCode};
use crate::net::Net;

/// The key and coin operations and their outputs (see `operation.rs`).
macro_rules! table {
    ($then:ident! { $($args:tt)* }) => {
        $then! { $($args)* [keys] {
            operations {
                /// Make a fresh key pair.
                NewKeypair -> Keypair = "new_keypair" by start_new_keypair, offline;
                /// Tell the client's key pair (the owner of the registers it creates).
                GetKeypair -> Keypair = "get_keypair" by start_get_keypair, offline;
                /// Replace the client's key pair by the one with this secret key (64 hex
                /// characters).
                SetKeypair {
                    /// The secret key.
                    secret_key: String,
                } -> Done {} = "set_keypair" by start_set_keypair, offline;
                /// A new key whose account the test network's faucet preloads.
                KeysCreatePreloadTestCoins {
                    /// How many coins, as a decimal string.
                    amount: String,
                } -> KeyCreated { url, keypair } = "keys_create_preload_test_coins"
                    by start_create_preload_test_coins;
                /// A new key preloaded from another key's account (or the faucet when none is
                /// given).
                KeysCreateAndPreload {
                    /// How many coins.
                    amount: String,
                    /// The paying key's secret key (64 hex).
                    from_secret_key: Option<String>,
                } -> KeyCreated { url, keypair } = "keys_create_and_preload"
                    by start_create_and_preload;
                /// The balance of the key with this secret key.
                KeysBalance {
                    /// The secret key (64 hex).
                    secret_key: String,
                } -> Balance = "keys_balance" by start_balance;
                /// Pay coins to a key's URL; gives the transfer's id.
                KeysTransfer {
                    /// How many coins.
                    amount: String,
                    /// The paying key's secret key (64 hex).
                    from_secret_key: String,
                    /// The receiving key's SafeKey URL.
                    to_url: String,
                } -> TransferId = "keys_transfer" by start_transfer;
            }
            outputs {
                /// A key pair.
                Keypair(crate::KeypairInfo),
                /// A new, preloaded key: its SafeKey URL and key pair.
                KeyCreated {
                    /// The key's SafeKey XOR-URL.
                    url: String,
                    /// The key pair.
                    keypair: crate::KeypairInfo,
                },
                /// A balance, as a decimal string in shortest form.
                Balance(String),
                /// A transfer's id (64 hex).
                TransferId(String),
            }
        } }
    };
}
pub(super) use table;

/// Starts `Operation::NewKeypair` (needs no network: done at once).
pub(super) fn start_new_keypair(net: Net) -> Started<KeypairInfo> {
    let info = info(&new_keypair(&net));
    Ok(async move { Ok(info) }.boxed_local())
}

/// Starts `Operation::GetKeypair` (done at once).
pub(super) fn start_get_keypair(net: Net) -> Started<KeypairInfo> {
    let info = info(&net.keypair());
    Ok(async move { Ok(info) }.boxed_local())
}

/// Starts `Operation::SetKeypair`: a secret key; replaced at once.
pub(super) fn start_set_keypair(net: Net, secret_key: String) -> Started<()> {
    let keypair = secret(&secret_key)?;
    net.with(|s| s.keypair = keypair);
    Ok(async move { Ok(()) }.boxed_local())
}

/// Starts `Operation::KeysCreatePreloadTestCoins`: an amount of coins, which the faucet pays.
pub(super) fn start_create_preload_test_coins(
    net: Net,
    amount: String,
) -> Started<(String, KeypairInfo)> {
    start_create_and_preload(net, amount, None)
}

/// Starts `Operation::KeysCreateAndPreload`: an amount of coins, and the payer's secret key if
/// given (else the faucet pays).
pub(super) fn start_create_and_preload(
    net: Net,
    amount: String,
    from_secret_key: Option<String>,
) -> Started<(String, KeypairInfo)> {
    let amount = coins(&amount)?;
    let from = from_secret_key.as_deref().map(secret).transpose()?;
    Ok(create_preloaded(net, amount, from).boxed_local())
}

/// Starts `Operation::KeysBalance`: a secret key.
pub(super) fn start_balance(net: Net, secret_key: String) -> Started<String> {
    let owner = secret(&secret_key)?.public_key();
    Ok(async move {
        let account = account(&net, owner).await?;
        let balance = account.balance().map_err(|e| Error::protocol(e.to_string()))?;
        Ok(balance.to_string())
    }
    .boxed_local())
}

/// Starts `Operation::KeysTransfer`: an amount, the payer's secret key, a SafeKey URL.
pub(super) fn start_transfer(
    net: Net,
    amount: String,
    from_secret_key: String,
    to_url: String,
) -> Started<String> {
    let amount = coins(&amount)?;
    let from = secret(&from_secret_key)?;
    let to = key_of_url(&to_url)?;
    Ok(async move {
        let id = transfer(&net, amount, &from, to).await?;
        Ok(id.to_string())
    }
    .boxed_local())
}

/// A key pair from its secret key (64 hex).
fn secret(hex: &str) -> Result<Keypair, Error> {
    Keypair::from_secret_hex(hex).map_err(Error::invalid_argument)
}

/// An amount of coins as a decimal string.
fn coins(amount: &str) -> Result<Amount, Error> {
    amount
        .parse()
        .map_err(|e: safe_types::account::AmountError| Error::invalid_argument(e.to_string()))
}

/// How often a transfer is retried when a concurrent one from the same key took its nonce.
const TRANSFER_ATTEMPTS: usize = 5;

/// A key pair as the API shows it.
pub(super) fn info(keypair: &Keypair) -> KeypairInfo {
    KeypairInfo {
        public_key: keypair.public_key().to_hex(),
        secret_key: hex::encode(keypair.secret_bytes()),
    }
}

/// A fresh key pair.
pub(super) fn new_keypair(net: &Net) -> Keypair {
    Keypair::from_secret_bytes(&net.random32())
}

/// The SafeKey XOR-URL of a key.
pub(super) fn key_url(net: &Net, key: &PublicKey) -> Result<String, Error> {
    Ok(SafeUrl::new_xorurl(
        key.xorname(),
        0,
        ContentType::Raw,
        DataType::SafeKey,
        net.xorurl_base(),
    )?
    .to_string())
}

/// The key a SafeKey URL names.
pub(super) fn key_of_url(url: &str) -> Result<PublicKey, Error> {
    let parsed = SafeUrl::parse(url)?;
    if parsed.is_nrs() || parsed.data_type() != DataType::SafeKey {
        return Err(Error::invalid_argument(format!(
            "'{url}' is not a SafeKey XOR-URL: transfers go to a key's URL, as \
             keys_create_preload_test_coins returns it"
        )));
    }
    Ok(PublicKey(parsed.xorname().0))
}

/// A new key whose account got `amount` test coins from `from` (or the network's faucet); its
/// SafeKey URL and key pair.
pub(super) async fn create_preloaded(
    net: Net,
    amount: Amount,
    from: Option<Keypair>,
) -> Result<(String, KeypairInfo), Error> {
    let keypair = new_keypair(&net);
    let to = keypair.public_key();
    match from {
        Some(from) => {
            transfer(&net, amount, &from, to).await?;
        }
        None => {
            faucet(&net, to, amount).await?;
        }
    }
    Ok((key_url(&net, &to)?, info(&keypair)))
}

/// Asks the faucet of a test network for `amount` coins for `to`.
async fn faucet(net: &Net, to: PublicKey, amount: Amount) -> Result<TransferId, Error> {
    let id = TransferId(net.random32());
    if net.dry_run() {
        return Ok(id);
    }
    let map = current_map(net).await?;
    let holders = map.holders(&to.xorname());
    let request = Request::Faucet { to, amount, id };
    let result =
        first_verified(net, &holders, &request, final_refusal, |name, response| async move {
            match response {
                Response::Transferred { id: got } if got == id => Ok(id),
                _ => Err(Error::protocol(format!(
                    "node {name} answered the faucet with something else"
                ))),
            }
        })
        .await;
    result.map_err(|failures| {
        Error::new(worst(&failures), format!("the faucet did not pay: {}", messages(&failures)))
    })
}

/// A refusal that another holder would repeat, so asking it is pointless.
fn final_refusal(e: &Error) -> bool {
    !matches!(e.code, ErrorCode::Network | ErrorCode::Protocol | ErrorCode::Timeout)
}

/// The account of `owner`, merged from what a majority of its holders returned (an account
/// nobody holds is empty).
pub(super) async fn account(net: &Net, owner: PublicKey) -> Result<Account, Error> {
    let map = current_map(net).await?;
    let holders = map.holders(&owner.xorname());
    let answers = read_majority(net, &holders, &Request::GetAccount { owner }).await;
    let mut merged = Account::new(owner);
    let mut failures = answers.failures;
    for response in answers.found {
        match response {
            Response::Account(replica) if *replica.owner() == owner => {
                // The client cannot tell whether the network has a faucet; nodes check that.
                if let Err(e) = merged.merge(&replica, true) {
                    debug!("skipped part of an account replica: {e}");
                }
            }
            _ => failures
                .push(Error::protocol("a node answered an account read with something else")),
        }
    }
    if answers.not_found == 0 && merged == Account::new(owner) && !failures.is_empty() {
        return Err(Error::new(
            worst(&failures),
            format!("could not read the account: {}", messages(&failures)),
        ));
    }
    Ok(merged)
}

/// Pays `amount` from `from` to `to`, retrying with a fresh nonce when a concurrent transfer
/// from the same key took the one it used.
pub(super) async fn transfer(
    net: &Net,
    amount: Amount,
    from: &Keypair,
    to: PublicKey,
) -> Result<TransferId, Error> {
    let sender = from.public_key();
    if sender == to {
        return Err(Error::invalid_argument("a transfer must go to another key"));
    }
    if amount.nanos() == 0 {
        return Err(Error::invalid_argument("a transfer must move more than 0 coins"));
    }
    let mut last = None;
    for _ in 0..TRANSFER_ATTEMPTS {
        let account = account(net, sender).await?;
        let balance = account.balance().map_err(|e| Error::protocol(e.to_string()))?;
        if balance < amount {
            return Err(Error::new(
                ErrorCode::InsufficientBalance,
                format!("the balance of {sender} is {balance}, less than {amount}"),
            ));
        }
        let mut reference = [0u8; 16];
        reference.copy_from_slice(&net.random32()[..16]);
        let transfer =
            Transfer { from: sender, to, amount, nonce: account.next_nonce(), reference };
        let signed = SignedTransfer::new(transfer, from);
        let id = signed.id();
        if net.dry_run() {
            return Ok(id);
        }
        let map = current_map(net).await?;
        // The closest holder of the sender's account coordinates the transfer.
        let holders = map.holders(&sender.xorname());
        let request = Request::Transfer(signed);
        let result = first_verified(net, &holders, &request, final_refusal, |name, r| async move {
            match r {
                Response::Transferred { id: got } if got == id => Ok(id),
                _ => Err(Error::protocol(format!(
                    "node {name} answered a transfer with something else"
                ))),
            }
        })
        .await;
        match result {
            Ok(id) => return Ok(id),
            Err(failures) => {
                let error = Error::new(
                    worst(&failures),
                    format!("the transfer was refused: {}", messages(&failures)),
                );
                if error.code != ErrorCode::Conflict {
                    return Err(error);
                }
                last = Some(error);
            }
        }
    }
    Err(last.unwrap_or_else(|| Error::new(ErrorCode::Conflict, "the transfer kept conflicting")))
}
