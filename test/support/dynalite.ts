// A real DynamoDB API on loopback for tests: dynalite in memory, scimitar's tables created (the
// local runtime's own setup, local/dynamo.ts).
export { type LocalDynamo, startDynamo as startDynalite } from '../../local/dynamo.ts';
