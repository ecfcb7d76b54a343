// The application presets and how a target's preset is applied: before the target schema reads
// the target, the preset fills what the target leaves out (base URL, auth, leaver action, quirks,
// rate budget); whatever the target states itself wins, field by field.
import { atlassian } from './atlassian.ts';
import { awsIamIdentityCenter } from './aws-iam-identity-center.ts';
import { entra } from './entra.ts';
import { githubEmu } from './github-emu.ts';
import { type PresetName, presetNames } from './names.ts';
import { okta } from './okta.ts';
import {
  fillPattern,
  isPlaceholderValue,
  PLACEHOLDER_RULE,
  placeholdersOf,
  type TargetPreset,
} from './preset.ts';
import { salesforce } from './salesforce.ts';
import { slack } from './slack.ts';
import { zoom } from './zoom.ts';

export { type PresetName, presetNames } from './names.ts';
export type { PresetAuth, PresetQuirks, TargetPreset } from './preset.ts';

export const targetPresets: Readonly<Record<PresetName, TargetPreset>> = {
  'github-emu': githubEmu,
  slack,
  atlassian,
  zoom,
  okta,
  entra,
  'aws-iam-identity-center': awsIamIdentityCenter,
  salesforce,
};

export interface PresetIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

type Raw = Record<string, unknown>;
const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The target with its preset's values filled in where the target gives none; every problem with
 * the preset itself goes to `report` (path relative to the target). Anything that is not a SCIM
 * target naming a known preset comes back unchanged, for the schema to judge.
 */
export function applyTargetPreset(input: unknown, report: (issue: PresetIssue) => void): unknown {
  if (!isRecord(input) || input.kind !== 'scim') return input;
  const name = input.preset;
  if (name === undefined) {
    if (input.presetValues !== undefined) {
      report({
        path: ['presetValues'],
        message: `applies only with a preset; add preset (one of ${presetNames.join(', ')}) or remove presetValues`,
      });
    }
    return input;
  }
  if (typeof name !== 'string' || !Object.hasOwn(targetPresets, name)) return input; // the enum says what is allowed
  const preset = targetPresets[name as PresetName];
  // Placeholder values are needed only for what the preset fills in: a target that gives its own
  // baseUrl (and token URL, account id) needs none.
  const explicitAuth = isRecord(input.auth) ? input.auth : undefined;
  const sameAuth =
    input.auth === undefined ||
    (explicitAuth !== undefined &&
      (explicitAuth.type === undefined || explicitAuth.type === preset.auth.type));
  // An auth field the preset fills from placeholders (Salesforce's token URL, Zoom's account id).
  const fillsAuth =
    sameAuth &&
    Object.entries(preset.auth).some(
      ([key, value]) =>
        typeof value === 'string' && placeholdersOf(value).length > 0 && explicitAuth?.[key] === undefined,
    );
  const required = (input.baseUrl === undefined && preset.baseUrl !== undefined) || fillsAuth;
  const values = presetValuesOf(preset, input.presetValues, required, report);
  const out: Raw = { ...input };

  if (input.baseUrl === undefined) {
    if (preset.baseUrl === undefined) {
      report({
        path: ['baseUrl'],
        message: `is required with preset '${name}' (${preset.application}): give the application's SCIM base URL, ending before /Users`,
      });
    } else if (values) {
      out.baseUrl = fillPattern(preset.baseUrl, values);
    }
  }
  // The preset's auth under the target's own fields; an auth of another type replaces it.
  if (sameAuth) out.auth = { ...presetAuth(preset, values), ...explicitAuth };
  out.leaverAction = input.leaverAction ?? preset.leaverAction;
  if (input.quirks === undefined || isRecord(input.quirks))
    out.quirks = { ...preset.quirks, ...input.quirks };
  if (input.rateBudget === undefined || isRecord(input.rateBudget)) {
    out.rateBudget = { ...preset.rateBudget, ...input.rateBudget };
  }
  const match = input.matchAttribute ?? 'userName';
  if (
    preset.matchAttributes &&
    typeof match === 'string' &&
    !preset.matchAttributes.includes(match as never)
  ) {
    report({
      path: ['matchAttribute'],
      message: `'${match}' cannot be searched in ${preset.application}: its filter supports ${preset.matchAttributes.join(' and ')} only (preset '${name}'); choose one of those`,
    });
  }
  return out;
}

/** The checked placeholder values, or undefined when one is missing or unusable (reported). */
function presetValuesOf(
  preset: TargetPreset,
  given: unknown,
  required: boolean,
  report: (issue: PresetIssue) => void,
): Record<string, string> | undefined {
  const wanted = Object.keys(preset.placeholders);
  if (given !== undefined && !isRecord(given)) {
    report({ path: ['presetValues'], message: `must be an object of ${describeWanted(preset)}` });
    return undefined;
  }
  const values = given ?? {};
  let ok = true;
  for (const key of Object.keys(values)) {
    if (!wanted.includes(key)) {
      ok = false;
      report({
        path: ['presetValues', key],
        message: `is not a placeholder of preset '${preset.name}'; it takes ${describeWanted(preset)}`,
      });
    }
  }
  for (const key of wanted) {
    const value = values[key];
    if (value === undefined) {
      ok = false;
      if (!required) continue;
      report({
        path: ['presetValues', key],
        message: `is required by preset '${preset.name}': ${preset.placeholders[key]}`,
      });
    } else if (!isPlaceholderValue(value)) {
      ok = false;
      report({ path: ['presetValues', key], message: PLACEHOLDER_RULE });
    }
  }
  return ok ? (values as Record<string, string>) : undefined;
}

function describeWanted(preset: TargetPreset): string {
  const names = Object.keys(preset.placeholders);
  return names.length === 0 ? 'no values' : names.join(', ');
}

/** The preset's auth with its placeholders filled; a field whose placeholders have no values is left out. */
function presetAuth(preset: TargetPreset, values: Record<string, string> | undefined): Raw {
  if (preset.auth.type === 'bearer') return { type: 'bearer' };
  const out: Raw = {};
  for (const [key, value] of Object.entries(preset.auth)) {
    if (typeof value !== 'string' || placeholdersOf(value).length === 0) out[key] = value;
    else if (values) out[key] = fillPattern(value, values);
  }
  return out;
}
