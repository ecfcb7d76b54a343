// The names of the application presets a SCIM target may name (`preset`), kept apart from the
// presets themselves so the target schema can list them without importing the presets.
export const presetNames = [
  'github-emu',
  'slack',
  'atlassian',
  'zoom',
  'okta',
  'entra',
  'aws-iam-identity-center',
  'salesforce',
] as const;

export type PresetName = (typeof presetNames)[number];
