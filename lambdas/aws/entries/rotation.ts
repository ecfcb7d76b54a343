// Placeholder so the CDK app can bundle this entry; the real rotation entry replaces it.
export const handler = async () => {
  throw new Error('not wired yet');
};
