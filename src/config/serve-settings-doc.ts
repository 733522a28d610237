/**
 * The `serve` settings as Markdown tables, one per group, generated from SERVE_SETTINGS. docs/cli.md
 * holds a copy between the markers below; src/config/serve-settings-doc.test.ts fails when the copy
 * differs and prints the text to paste.
 */
import { CONFIG_FLAG, SETTING_GROUPS, settingsInOrder, type SettingRow } from './serve-settings';

export const SETTINGS_BEGIN = '<!-- serve-settings:begin (generated from src/config/serve-settings.ts) -->';
export const SETTINGS_END = '<!-- serve-settings:end -->';

/** A table cell: pipes escaped (also inside code spans, as GitHub's tables need), one line. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

function shownDefault(setting: SettingRow): string {
  if (setting.required === true) return 'required';
  if (setting.unset !== undefined) return setting.unset;
  return setting.default === undefined || setting.default === '' ? '–' : `\`${setting.default}\``;
}

function what(setting: SettingRow): string {
  let text = setting.help;
  if (setting.repeatable === true) text += '; repeat the flag, or separate with commas';
  if (setting.deprecated !== undefined) text += `; deprecated: ${setting.deprecated}`;
  return text;
}

export function serveSettingsMarkdown(): string {
  const lines = [SETTINGS_BEGIN, `\`--config ${CONFIG_FLAG.value}\`: ${CONFIG_FLAG.help}.`];
  const rows = settingsInOrder();
  for (const [group, title] of Object.entries(SETTING_GROUPS)) {
    lines.push('', `**${title}**`, '');
    lines.push('| flag | environment | config key | default | accepts | what |', '|---|---|---|---|---|---|');
    for (const [flag, setting] of rows) {
      if (setting.group !== group) continue;
      const more = setting.repeatable === true ? '…' : '';
      lines.push(
        `| ${[
          `\`--${flag} ${setting.value}\`${more}`,
          `\`${setting.env}\``,
          `\`${setting.key}\``,
          shownDefault(setting),
          setting.parse.accepts,
          what(setting),
        ]
          .map(cell)
          .join(' | ')} |`,
      );
    }
  }
  lines.push(SETTINGS_END);
  return lines.join('\n');
}

/** The generated block as a document holds it, or undefined when the document has no markers. */
export function settingsBlockOf(document: string): string | undefined {
  const begin = document.indexOf(SETTINGS_BEGIN);
  const end = document.indexOf(SETTINGS_END);
  if (begin < 0 || end < begin) return undefined;
  return document.slice(begin, end + SETTINGS_END.length);
}
