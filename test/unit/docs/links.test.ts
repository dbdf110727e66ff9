import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'chai';

/** A fenced code block: its lines are text, not Markdown (CommonMark §4.5). */
const FENCE = /^\s*(```|~~~)/;
/** An ATX heading (CommonMark §4.2): its text, without an optional closing run of `#`. */
const HEADING = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/;
/** An inline link or image, `[text](target)` or `[text](target "title")`. */
const INLINE_LINK = /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
/** A link reference definition, `[label]: target`. */
const REFERENCE = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/;
/** An inline code span: links inside it are text. */
const CODE_SPAN = /`+[^`]*`+/g;
/** A scheme (`https:`, `mailto:`) or a protocol-relative `//`: not a link into the repository. */
const ABSOLUTE = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i;

/** README.md and every page of docs/, as repository paths. */
function documentationFiles(root: string): string[] {
  const docs = join(root, 'docs');
  const pages = existsSync(docs)
    ? readdirSync(docs)
        .filter((name) => name.endsWith('.md'))
        .sort()
    : [];
  return ['README.md', ...pages.map((name) => join('docs', name))];
}

/** The lines of `markdown` outside fenced code blocks. */
function proseLines(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').filter((line) => {
    if (FENCE.test(line)) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

/**
 * The anchor GitHub gives a heading (github-slugger): lower-cased, every character that is not a
 * letter, digit, space, `-` or `_` dropped, each space turned into `-`. Inline links count by their text.
 */
function slugOf(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor of `markdown`'s headings; a repeated slug gets `-1`, `-2` … as on GitHub. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const line of proseLines(markdown)) {
    const text = HEADING.exec(line)?.[1];
    if (text === undefined) continue;
    const slug = slugOf(text);
    let anchor = slug;
    for (let n = 1; anchors.has(anchor); n += 1) anchor = `${slug}-${n}`;
    anchors.add(anchor);
  }
  return anchors;
}

/** The link targets of `markdown`, code blocks and code spans left out. */
function linkTargets(markdown: string): string[] {
  const targets: string[] = [];
  for (const line of proseLines(markdown)) {
    const prose = line.replace(CODE_SPAN, '');
    for (const match of prose.matchAll(INLINE_LINK)) targets.push(match[1]!);
    const reference = REFERENCE.exec(prose)?.[1];
    if (reference !== undefined) targets.push(reference);
  }
  return targets;
}

/**
 * Each relative link of `files` (paths under `root`) that does not resolve, as `file: target`: its
 * file (or folder) is missing, or its `#anchor` is no heading of the Markdown file it names.
 */
function brokenLinks(root: string, files: readonly string[]): string[] {
  const broken: string[] = [];
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const target of linkTargets(text)) {
      if (ABSOLUTE.test(target)) continue;
      const hash = target.indexOf('#');
      const pathPart = hash === -1 ? target : target.slice(0, hash);
      const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
      const resolved = pathPart === '' ? join(root, file) : join(root, dirname(file), decodeURIComponent(pathPart));
      if (!existsSync(resolved)) {
        broken.push(`${file}: ${target} (no such file)`);
      } else if (
        anchor !== undefined &&
        resolved.endsWith('.md') &&
        !anchorsOf(readFileSync(resolved, 'utf8')).has(anchor)
      ) {
        broken.push(`${file}: ${target} (no such heading)`);
      }
    }
  }
  return broken;
}

describe('Relative links of README.md and docs/', () => {
  it('when README.md and docs/*.md are read, then every relative link names a file that exists, and a heading of it when it has an anchor', () => {
    const files = documentationFiles('.');
    expect(files).to.include.members(['README.md', 'docs/configuration.md', 'docs/operations.md', 'docs/security.md']);
    expect(brokenLinks('.', files)).to.deep.equal([]);
  });

  it('when a link names a missing file or a missing heading, then it is reported, and links in code are not read', () => {
    const root = mkdtempSync(join(tmpdir(), 'gateway-doc-links-'));
    try {
      writeFileSync(
        join(root, 'README.md'),
        [
          '# Title',
          '## Setup',
          '## Setup',
          'See [a](docs/page.md#present-heading), [b](docs/page.md#absent), [c](docs/missing.md), [d](#setup-1), [e](#nowhere).',
          'Code is text: `[x](docs/none.md)`',
          '```',
          '[y](docs/none-either.md)',
          '```',
          '[ref]: docs/page.md#present-heading',
          'Outside: [site](https://example.com/#anything), [mail](mailto:ops@example.com).',
        ].join('\n'),
      );
      // docs/page.md: one heading, and a link back to a README heading that exists.
      mkdirSync(join(root, 'docs'));
      writeFileSync(join(root, 'docs', 'page.md'), '# Present heading\n[back](../README.md#title)\n');
      expect(brokenLinks(root, documentationFiles(root))).to.deep.equal([
        'README.md: docs/page.md#absent (no such heading)',
        'README.md: docs/missing.md (no such file)',
        'README.md: #nowhere (no such heading)',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("when a heading has punctuation, then its anchor is GitHub's: lower case, spaces to -, punctuation but - and _ dropped", () => {
    const cases: Array<[string, string]> = [
      ['Authentication (JWT)', 'authentication-jwt'],
      ['Which wins: env over file', 'which-wins-env-over-file'],
      ['Running several replicas with Redis (docker compose)', 'running-several-replicas-with-redis-docker-compose'],
      ['koa-helmet: helmet instead', 'koa-helmet-helmet-instead'],
      ['Header limits: 100 lines, 16 KiB, 431', 'header-limits-100-lines-16-kib-431'],
      ['`GATEWAY_CONFIG` and the_file', 'gateway_config-and-the_file'],
      ['See [the page](other.md)', 'see-the-page'],
    ];
    for (const [heading, anchor] of cases) expect(slugOf(heading), heading).to.equal(anchor);
  });
});
