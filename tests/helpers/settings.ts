import { resetSettings, type SettingName } from '../../lib/settings';

/** Values for settings by name; undefined unsets one. */
export type SettingsChange = Partial<Record<SettingName, string | undefined>>;

/**
 * Changes settings the one documented way: sets (or unsets) the variables
 * and calls resetSettings(), so this test file's lib/settings reads them.
 * Modules loaded afresh later (jest.isolateModules, freshHandlers) read
 * process.env at their own import, so they see the change too. A value the
 * settings refuse throws, with the variables put back. Returns what puts
 * the previous values back.
 */
export function changeSettings(change: SettingsChange): () => void {
  const previous = Object.fromEntries(Object.keys(change).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(change);
  try {
    resetSettings();
  } catch (error) {
    apply(previous);
    throw error;
  }
  return () => {
    apply(previous);
    resetSettings();
  };
}

/** Runs `work` with these settings, then puts the previous ones back, also when it throws or rejects. */
export function withSettings<T>(change: SettingsChange, work: () => T): T {
  const restore = changeSettings(change);
  let result: T;
  try {
    result = work();
  } catch (error) {
    restore();
    throw error;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}
