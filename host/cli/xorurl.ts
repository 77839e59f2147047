/**
 * `safe xorurl decode <url>`: what a safe:// URL encodes, read without a network; and
 * `safe xorurl <location>`: the XOR-URLs the local files would have, computed by the dry runner
 * (self-encryption and all) without uploading anything or connecting to a network.
 */
import { SafeUrl } from '../api/safe-url.js';
import type { Verb } from './context.js';
import { print, processedTable, progressLine } from './output.js';

const decode: Verb = {
  usage: 'safe xorurl decode <url>',
  help: 'Decodes a safe:// URL (a XOR-URL or an NRS URL) and prints what it names; no network is used.',
  positionals: [1, 1],
  async run(ctx, [url]) {
    const u = SafeUrl.parse(url!);
    const fields = {
      url: u.toString(),
      isNrs: u.isNrs,
      xorname: u.xorname,
      typeTag: u.typeTag,
      dataType: u.dataType,
      contentType: u.contentType,
      topName: u.topName,
      publicName: u.publicName,
      subNames: [...u.subNames],
      path: u.pathDecoded(),
      query: u.queryString,
      fragment: u.fragment,
      contentVersion: u.contentVersion,
      encodingVersion: u.encodingVersion,
    };
    print(ctx.json, fields, () =>
      [
        `Information decoded from SafeUrl: ${fields.url}`,
        `Xorname: ${fields.xorname}`,
        `Type tag: ${fields.typeTag}`,
        `Native data type: ${fields.dataType}`,
        `Content type: ${fields.contentType}`,
        `${fields.isNrs ? 'Public name' : 'Top name'}: ${fields.isNrs ? fields.publicName : fields.topName}`,
        `Sub names: [${fields.subNames.join(', ')}]`,
        `Path: ${fields.path || '/'}`,
        `Content version: ${fields.contentVersion ?? 'latest'}`,
      ].join('\n'),
    );
  },
};

/** The `xorurl` verbs by name. */
export const xorurlVerbs: Record<string, Verb> = { decode };

/** `safe xorurl <location>`, run when the word after `xorurl` is not one of its verbs. */
export const xorurlOfLocation: Verb = {
  usage: 'safe xorurl <location> [--recursive] [--follow-links]',
  help: `Prints the XOR-URL each local file at <location> would have once stored, as sn_cli's
\`safe xorurl\`: the files are read and self-encrypted, but nothing is uploaded and no network
is needed. The URLs are those \`safe files put\` gives the same files.

  -r, --recursive    descend into sub-folders
  --follow-links     the URLs of what symlinks point to, not of the links`,
  options: { recursive: { type: 'boolean', short: 'r' }, 'follow-links': { type: 'boolean' } },
  positionals: [1, 1],
  async run(ctx, [location], values) {
    const safe = ctx.offline(true);
    const progress = progressLine('encrypting');
    try {
      const [, processed] = await safe.filesContainerCreateFrom(location!, null, {
        recursive: values['recursive'] === true,
        followLinks: values['follow-links'] === true,
        ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
      });
      progress.end();
      const files = Object.values(processed).filter((c) => c.change !== 'Failed' && c.link !== '').length;
      print(ctx.json, { processed }, () => {
        const table = processedTable(processed);
        return files === 0 && table === '' ? 'No files were processed' : `${files} file(s) processed:\n${table}`;
      });
    } finally {
      progress.end();
    }
  },
};
