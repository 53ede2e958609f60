// Writing models/<name>/traffic.json for model:add and model:traffic: the
// same checks as the service's reader (lib/repository/parse-traffic.ts), so
// a file these tools write is one the service accepts.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { forgetRepository, listModels } from '../lib/repository/model-repository';
import { parseTraffic, type Traffic } from '../lib/repository/parse-traffic';
import { settings } from '../lib/settings';

export const trafficFile = (name: string) => path.join(settings.modelsDir(), name, 'traffic.json');

/** The model's versions, oldest first. */
export function versionsOf(name: string): string[] {
  forgetRepository();
  return listModels(settings.modelsDir()).find((m) => m.name === name)?.versions.map((v) => v.version) ?? [];
}

/** The file as it stands: null without one; throws with the reason when it cannot be used. */
export function readTrafficFile(name: string): Traffic | null {
  const file = trafficFile(name);
  if (!existsSync(file)) return null;
  const parsed = parseTraffic(readFileSync(file, 'utf8'), versionsOf(name));
  if ('problem' in parsed) throw new Error(parsed.problem);
  return parsed.traffic;
}

/** Writes the file after the service's own checks; throws with the reason instead of writing a bad one. */
export function writeTrafficFile(name: string, traffic: Traffic): void {
  const text = `${JSON.stringify(traffic, null, 2)}\n`;
  const parsed = parseTraffic(text, versionsOf(name));
  if ('problem' in parsed) throw new Error(parsed.problem);
  writeFileSync(trafficFile(name), text);
  forgetRepository();
}

export function removeTrafficFile(name: string): void {
  rmSync(trafficFile(name), { force: true });
  forgetRepository();
}

/** One line for people: "1.0.0 90%, 1.1.0 10%; labels stable=1.0.0; shadow 1.2.0". */
export function describeTraffic(traffic: Traffic | null, newest: string): string {
  if (!traffic) return `${newest} 100% (no traffic.json: the newest version)`;
  const split = Object.entries(traffic.split).map(([v, w]) => `${v} ${w}%`).join(', ');
  const labels = Object.entries(traffic.labels).map(([l, v]) => `${l}=${v}`).join(', ');
  return [split, labels && `labels ${labels}`, traffic.shadow && `shadow ${traffic.shadow}`, traffic.sticky && `sticky by ${traffic.sticky}`].filter(Boolean).join('; ');
}

function pairs(text: string, what: string): [string, string][] {
  return text.split(',').map((pair) => {
    const [key, value, ...rest] = pair.split('=');
    if (!key || value === undefined || rest.length > 0) throw new Error(`${what} "${pair}" is not name=value`);
    return [key.trim(), value.trim()];
  });
}

/** The traffic after the options, from the current one (or the newest version at 100 %). */
export function changeTraffic(current: Traffic | null, newest: string, options: { split?: string; shadow?: string; label?: string[]; sticky?: string; promote?: string }): Traffic {
  if (options.promote !== undefined && options.split !== undefined) throw new Error('--promote sets the split itself: give one of --promote and --split');
  const next: Traffic = current ? { ...current, labels: { ...current.labels } } : { labels: {}, split: { [newest]: 100 } };
  if (options.promote !== undefined) {
    // Everything to one version; it becomes "stable", and it no longer shadows itself.
    next.split = { [options.promote]: 100 };
    next.labels.stable = options.promote;
    if (next.shadow === options.promote) delete next.shadow;
  }
  if (options.split !== undefined) {
    next.split = Object.fromEntries(
      pairs(options.split, '--split').map(([version, weight]) => {
        if (!/^\d+$/.test(weight)) throw new Error(`--split weight "${weight}" for ${version} is not a whole percentage`);
        return [version, Number(weight)];
      }),
    );
  }
  for (const label of options.label ?? []) {
    const [[name, version]] = pairs(label, '--label') as [[string, string]];
    next.labels[name] = version;
  }
  if (options.shadow !== undefined) {
    if (options.shadow === 'none') delete next.shadow;
    else next.shadow = options.shadow;
  }
  if (options.sticky !== undefined) {
    if (options.sticky === 'none') delete next.sticky;
    else if (options.sticky === 'api_key') next.sticky = 'api_key';
    else throw new Error(`--sticky "${options.sticky}": the choices are api_key and none`);
  }
  return next;
}
