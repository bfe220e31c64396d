/**
 * The report email's CSS. The layout lives in inline `style` attributes, which every email client keeps,
 * and is fluid without any stylesheet: the summary tiles are inline blocks that wrap onto further rows on
 * a narrow screen, each data table sits in its own horizontally scrolling box, long paths and statements
 * wrap anywhere, and the chart scales down. {@link NARROW_SCREEN_CSS} (a `<style>` block with a media query,
 * kept by Apple Mail, iOS Mail, the Gmail apps and Outlook.com; dropped by some clients, which then show the
 * wider paddings) only tightens paddings and sizes the tiles two per row on a phone. No external
 * stylesheet. Colours keep WCAG AA contrast on white.
 */
const FONT = "font-family:'DejaVu Sans',Verdana,'Segoe UI',Arial,sans-serif";
const MONO = "font-family:'DejaVu Sans Mono',Menlo,Consolas,'Courier New',monospace";

export const COLORS = {
  ink: '#111827',
  muted: '#4b5563',
  rule: '#d1d5db',
  band: '#1e293b',
  bandText: '#f8fafc',
  page: '#eef1f5',
  headerCell: '#f1f5f9',
  zebra: '#f8fafc',
  link: '#1d4ed8',
  alert: '#b91c1c',
  alertBg: '#fef2f2',
  warn: '#92400e',
  warnBg: '#fffbeb',
  ok: '#166534',
  okBg: '#f0fdf4',
  das: '#1d4ed8',
  pgaudit: '#0f766e',
} as const;

export const STYLE = {
  body: `margin:0;padding:0;background:${COLORS.page};color:${COLORS.ink};${FONT};font-size:14px;line-height:1.45`,
  // table-layout:fixed: the cells take the table's width, not their content's, so that a wide data table
  // scrolls inside its box instead of widening the card beyond a narrow screen.
  outer: `width:100%;background:${COLORS.page};border-collapse:collapse;table-layout:fixed`,
  outerCell: 'padding:24px 12px',
  /** The summary tiles' container: inline-block tiles wrap onto further rows when the width runs out. */
  tiles: 'margin:4px 0 8px 0;font-size:0;line-height:0',
  card: `width:100%;max-width:840px;margin:0 auto;background:#ffffff;border:1px solid ${COLORS.rule};border-collapse:separate;border-radius:4px;table-layout:fixed`,
  band: `background:${COLORS.band};color:${COLORS.bandText};padding:20px 28px;border-radius:4px 4px 0 0`,
  bandKicker: `margin:0;font-size:11px;letter-spacing:1.5px;text-transform:uppercase;color:#cbd5e1;${FONT}`,
  bandTitle: `margin:4px 0 0 0;font-size:22px;font-weight:bold;color:${COLORS.bandText};${FONT}`,
  bandSubtitle: `margin:6px 0 0 0;font-size:14px;color:#e2e8f0;${FONT}`,
  content: 'padding:20px 28px 8px 28px',
  meta: 'border-collapse:collapse;width:100%;font-size:13px;margin:0 0 16px 0',
  metaKey: `padding:3px 16px 3px 0;color:${COLORS.muted};white-space:nowrap;vertical-align:top;width:1%`,
  metaValue: 'padding:3px 0;vertical-align:top;overflow-wrap:anywhere',
  figure: `display:inline-block;vertical-align:top;box-sizing:border-box;width:120px;min-height:76px;margin:0 8px 8px 0;border:1px solid ${COLORS.rule};border-left:4px solid #94a3b8;padding:8px 10px;text-align:left;line-height:1.3`,
  figureFinding: `display:inline-block;vertical-align:top;box-sizing:border-box;width:120px;min-height:76px;margin:0 8px 8px 0;border:1px solid #fca5a5;border-left:4px solid ${COLORS.alert};background:${COLORS.alertBg};padding:8px 10px;text-align:left;line-height:1.3`,
  figureValue: `font-size:22px;font-weight:bold;margin:0;color:${COLORS.ink};${FONT}`,
  figureValueFinding: `font-size:22px;font-weight:bold;margin:0;color:${COLORS.alert};${FONT}`,
  figureLabel: `font-size:11px;color:${COLORS.muted};margin:2px 0 0 0;text-transform:uppercase;letter-spacing:0.5px;${FONT}`,
  notice: `border-left:4px solid #d97706;background:${COLORS.warnBg};color:${COLORS.warn};padding:10px 14px;margin:0 0 12px 0;font-size:13px`,
  noticeAlert: `border-left:4px solid ${COLORS.alert};background:${COLORS.alertBg};color:${COLORS.alert};padding:10px 14px;margin:0 0 12px 0;font-size:13px`,
  noticeOk: `border-left:4px solid #16a34a;background:${COLORS.okBg};color:${COLORS.ok};padding:10px 14px;margin:0 0 12px 0;font-size:13px`,
  sectionTitle: `margin:26px 0 2px 0;font-size:17px;font-weight:bold;color:${COLORS.ink};border-bottom:2px solid ${COLORS.band};padding-bottom:4px`,
  sectionCluster: `font-weight:normal;color:${COLORS.muted};font-size:14px`,
  sectionQuestion: `margin:6px 0 8px 0;color:${COLORS.muted};font-size:13px;font-style:italic`,
  sectionCount: `margin:0 0 8px 0;font-size:13px;color:${COLORS.ink}`,
  none: `margin:0 0 8px 0;font-size:13px;color:${COLORS.ok}`,
  failed: `border:1px solid #fca5a5;background:${COLORS.alertBg};color:${COLORS.alert};padding:10px 14px;font-size:13px;margin:0 0 8px 0`,
  /** A data table's box: a table wider than the screen scrolls inside it instead of widening the page. */
  tableBox: 'overflow-x:auto;-webkit-overflow-scrolling:touch;margin:0 0 6px 0;max-width:100%',
  table: `border-collapse:collapse;width:100%;font-size:12px;margin:0;border:1px solid ${COLORS.rule}`,
  th: `background:${COLORS.headerCell};text-align:left;padding:6px 7px;border-bottom:1px solid ${COLORS.rule};font-weight:bold;color:${COLORS.ink};font-size:11px`,
  thNumber: `background:${COLORS.headerCell};text-align:right;padding:6px 7px;border-bottom:1px solid ${COLORS.rule};font-weight:bold;color:${COLORS.ink};font-size:11px`,
  td: `padding:5px 7px;border-bottom:1px solid #e5e7eb;vertical-align:top;color:${COLORS.ink};overflow-wrap:break-word`,
  tdNowrap: `padding:5px 7px;border-bottom:1px solid #e5e7eb;vertical-align:top;white-space:nowrap;color:${COLORS.ink}`,
  tdNumber: `padding:5px 7px;border-bottom:1px solid #e5e7eb;vertical-align:top;text-align:right;white-space:nowrap;color:${COLORS.ink}`,
  tdTime: `padding:5px 7px;border-bottom:1px solid #e5e7eb;vertical-align:top;${MONO};font-size:11px;color:${COLORS.ink};min-width:84px`,
  tdStatement: `padding:5px 7px;border-bottom:1px solid #e5e7eb;vertical-align:top;${MONO};font-size:11px;word-break:break-all;color:${COLORS.ink}`,
  tdWide: `padding:0 7px 6px 7px;border-bottom:1px solid #e5e7eb;vertical-align:top;${MONO};font-size:11px;word-break:break-all;color:#1f2937`,
  wideLabel: `${FONT};font-size:10px;text-transform:uppercase;letter-spacing:0.5px;color:${COLORS.muted};margin-right:4px`,
  cellJoined: ';border-bottom:0',
  null: `color:#9ca3af`,
  more: `margin:2px 0 8px 0;font-size:12px;color:${COLORS.muted}`,
  link: `color:${COLORS.link};text-decoration:underline`,
  /** A long path that must wrap anywhere rather than widen the page. */
  linkPath: `color:${COLORS.link};text-decoration:underline;word-break:break-all`,
  chart: 'display:block;width:100%;max-width:720px;height:auto;border:0;margin:4px 0 8px 0',
  footer: `padding:14px 28px 22px 28px;font-size:11px;color:${COLORS.muted};border-top:1px solid ${COLORS.rule}`,
  footerP: 'margin:0 0 6px 0',
  code: `${MONO};font-size:11px`,
} as const;

/**
 * Class names the narrow-screen CSS addresses (the inline styles carry the layout; these only adjust it).
 */
export const CLASSES = {
  outer: 'aa-outer',
  pad: 'aa-pad',
  tile: 'aa-tile',
  table: 'aa-table',
} as const;

/** Phones (at most 520 px wide): smaller margins, two tiles per row. `!important` beats inline styles. */
export const NARROW_SCREEN_CSS = `@media only screen and (max-width:520px){
.${CLASSES.outer}{padding:0!important}
.${CLASSES.pad}{padding-left:14px!important;padding-right:14px!important}
.${CLASSES.tile}{width:47%!important;margin-right:2%!important}
}`;
