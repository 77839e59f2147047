/**
 * `safe keys ...`: key pairs and test coins (create, balance, transfer, show). The CLI's own key
 * pair (see context.ts) is the default payer and the one `keys balance` reads.
 */
import { SafeError } from '../core/errors.js';
import { SafeUrl } from '../api/safe-url.js';
import type { Keypair } from '../api/types.js';
import { cliSecretKey, saveCredentials, type Context, type Verb } from './context.js';
import { print } from './output.js';

/** The SafeKey XOR-URL of a public key: the key's own 32 bytes are its XorName. */
function keyUrl(publicKey: string): string {
  return SafeUrl.encode({ xorname: publicKey, typeTag: 0, contentType: 'Raw', dataType: 'SafeKey' });
}

function keyLines(url: string, keypair: Keypair): string {
  return [`SafeKey: ${url}`, `Public Key = ${keypair.publicKey}`, `Secret Key = ${keypair.secretKey}`].join('\n');
}

/** The secret key a verb pays or reads with: `--sk`/`--from`, else the CLI's. */
async function secretKeyOr(given: unknown, option: string): Promise<string> {
  if (typeof given === 'string') return given;
  const cli = await cliSecretKey();
  if (cli) return cli.secretKey;
  throw new SafeError('InvalidArgument', `no secret key: pass ${option} SK, set SAFE_SECRET_KEY, or give this CLI a key pair with \`safe keys create --for-cli\``);
}

const create: Verb = {
  usage: 'safe keys create [--test-coins] [--preload AMOUNT] [--pay-with SK] [--for-cli]',
  help: `Creates a key pair and prints its SafeKey URL and keys. With --test-coins the test
network's faucet preloads it (with --preload AMOUNT, default 10); with --preload alone it is
paid from --pay-with SK (default: this CLI's key).

  --test-coins        preload from the test network's faucet
  --preload AMOUNT    coins to preload, a decimal string such as 9 or 0.5
  --pay-with SK       the secret key (64 hex) that pays the preload
  --for-cli           make it the key pair this CLI signs with ($SAFE_HOME/credentials)`,
  options: { 'test-coins': { type: 'boolean' }, preload: { type: 'string' }, 'pay-with': { type: 'string' }, 'for-cli': { type: 'boolean' } },
  positionals: [0, 0],
  async run(ctx: Context, _positionals, values) {
    const preload = values['preload'] as string | undefined;
    let url: string;
    let keypair: Keypair;
    if (values['test-coins']) {
      const safe = await ctx.connect();
      [url, keypair] = await safe.keysCreatePreloadTestCoins(preload ?? '10');
    } else if (preload !== undefined) {
      const safe = await ctx.connect();
      [url, keypair] = await safe.keysCreateAndPreload(preload, await secretKeyOr(values['pay-with'], '--pay-with'));
    } else {
      keypair = await ctx.offline().newKeypair();
      url = keyUrl(keypair.publicKey);
    }
    const saved = values['for-cli'] ? await saveCredentials(keypair) : undefined;
    print(ctx.json, { url, publicKey: keypair.publicKey, secretKey: keypair.secretKey }, () => {
      const lines = [`New SafeKey created: "${url}"`, keyLines(url, keypair)];
      if (preload !== undefined || values['test-coins']) lines.push(`Preloaded with ${preload ?? '10'} coins`);
      if (saved) lines.push(`This CLI now signs with it (saved in ${saved})`);
      return lines.join('\n');
    });
  },
};

const balance: Verb = {
  usage: 'safe keys balance [--sk SK]',
  help: `Prints the balance of a key: --sk SK (64 hex), else this CLI's key.

  --sk SK    the secret key whose balance to read`,
  options: { sk: { type: 'string' } },
  positionals: [0, 0],
  async run(ctx, _positionals, values) {
    const sk = await secretKeyOr(values['sk'], '--sk');
    const safe = await ctx.connect();
    const amount = await safe.keysBalance(sk);
    print(ctx.json, { balance: amount }, () => `SafeKey's current balance: ${amount}`);
  },
};

const transfer: Verb = {
  usage: 'safe keys transfer <AMOUNT> --to URL [--from SK]',
  help: `Pays AMOUNT coins (a decimal string such as 0.5) to the SafeKey URL --to, from the key
--from SK (default: this CLI's key).

  --to URL    the SafeKey URL to pay
  --from SK   the paying secret key (64 hex)`,
  options: { to: { type: 'string' }, from: { type: 'string' } },
  positionals: [1, 1],
  async run(ctx, [amount], values) {
    const to = values['to'];
    if (typeof to !== 'string') throw new SafeError('InvalidArgument', '--to URL is needed: the SafeKey URL to pay');
    const from = await secretKeyOr(values['from'], '--from');
    const safe = await ctx.connect();
    const id = await safe.keysTransfer(amount!, from, to);
    print(ctx.json, { transferId: id }, () => `Success. TX_ID: ${id}`);
  },
};

const show: Verb = {
  usage: 'safe keys show',
  help: `Prints the key pair this CLI signs with and where it comes from: $SAFE_SECRET_KEY, else
$SAFE_HOME/credentials (written by \`safe keys create --for-cli\`, or by the first command
that needed one).`,
  positionals: [0, 0],
  async run(ctx) {
    const cli = await cliSecretKey();
    if (!cli) {
      throw new SafeError('NotFound', 'this CLI has no key pair yet: create one with `safe keys create --for-cli`, or set SAFE_SECRET_KEY');
    }
    const safe = ctx.offline();
    await safe.setKeypair(cli.secretKey);
    const keypair = await safe.getKeypair();
    const url = keyUrl(keypair.publicKey);
    print(ctx.json, { url, publicKey: keypair.publicKey, secretKey: keypair.secretKey, source: cli.source }, () => `${keyLines(url, keypair)}\n(from ${cli.source})`);
  },
};

/** The `keys` verbs by name. */
export const keysVerbs: Record<string, Verb> = { create, balance, transfer, show };
