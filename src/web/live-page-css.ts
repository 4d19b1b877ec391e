/** Styles of the live page (`/ui/app.css`). */
export const LIVE_PAGE_CSS = `body { font: 14px system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
header { padding: 12px 20px; background: #1f2d3d; color: #fff; }
header h1 { font-size: 18px; margin: 0; }
header .muted { color: #c8d2dc; }
main { padding: 12px 20px; }
h2 { font-size: 16px; margin: 18px 0 4px; }
.muted { color: #777; font-weight: normal; font-size: 12px; }
.mono { font-family: ui-monospace, monospace; }
#glance { display: flex; flex-wrap: wrap; gap: 8px; }
.card { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 6px 10px; min-width: 110px; }
.card .value { font-size: 20px; font-weight: 600; }
.card .label { font-size: 11px; color: #777; text-transform: uppercase; }
.card.bad { border-color: #d22; background: #fff3f3; }
#routing svg { background: #fff; border: 1px solid #ddd; }
.slot { fill: none; stroke: #ddd; }
.age0 { fill: #2a9d4a; } .age1 { fill: #8cc68c; } .age2 { fill: #c9dcc9; } .age3 { fill: #bbb; }
.failing { stroke: #d22; stroke-width: 2.5; }
.rowlabel, .rowinfo { font-size: 11px; fill: #444; }
table { border-collapse: collapse; background: #fff; }
th, td { border: 1px solid #ddd; padding: 2px 8px; text-align: left; font-size: 12px; }
tbody tr { cursor: pointer; }
tbody tr:hover, tbody tr.open { background: #eef4ff; }
#replay { width: 1000px; height: 760px; border: 1px solid #ddd; background: #fff; }
#filters label { margin-right: 10px; font-size: 12px; }
#event-list { list-style: none; padding: 0; margin: 6px 0; max-height: 420px; overflow-y: auto; background: #fff; border: 1px solid #ddd; }
#event-list li { padding: 1px 6px; font-size: 12px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; border-bottom: 1px solid #f2f2f2; }
#event-list li.fresh { background: #fffbe0; }
.etype { display: inline-block; min-width: 150px; font-weight: 600; }
`;
