/**
 * `safe xorurl decode <url>`: what a safe:// URL encodes, read without a network.
 * (`safe xorurl <location>`, the URLs of local files without uploading them, needs the dry
 * runner, which this version does not have.)
 */
import { SafeUrl } from '../api/safe-url.js';
import type { Verb } from './context.js';
import { print, UsageError } from './output.js';

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

/** What `safe xorurl <location>` says until the dry runner exists. */
export function xorurlOfLocation(): never {
  throw new UsageError('`safe xorurl <location>` (the URLs of local files without uploading them) needs the dry runner, which this version does not have; `safe xorurl decode <url>` works');
}
