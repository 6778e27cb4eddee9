// The Node.js baseline of benches/compare.sh: the same job as the binary's action mode, through
// @aws-sdk/client-cloudfront in one process (describe, update with new code, test one event,
// publish). Usage: node job.mjs ENDPOINT NAME CODE_FILE EVENT_FILE. Not a tool: a benchmark prop.
import { readFileSync } from 'node:fs';
import {
  CloudFrontClient,
  DescribeFunctionCommand,
  UpdateFunctionCommand,
  TestFunctionCommand,
  PublishFunctionCommand,
} from '@aws-sdk/client-cloudfront';

const [endpoint, name, codeFile, eventFile] = process.argv.slice(2);
const client = new CloudFrontClient({ endpoint, region: 'us-east-1' });

const described = await client.send(new DescribeFunctionCommand({ Name: name, Stage: 'DEVELOPMENT' }));
const updated = await client.send(
  new UpdateFunctionCommand({
    Name: name,
    IfMatch: described.ETag,
    FunctionConfig: { Comment: '', Runtime: 'cloudfront-js-2.0' },
    FunctionCode: readFileSync(codeFile),
  }),
);
const tested = await client.send(
  new TestFunctionCommand({ Name: name, IfMatch: updated.ETag, Stage: 'DEVELOPMENT', EventObject: readFileSync(eventFile) }),
);
if (tested.TestResult?.FunctionErrorMessage) {
  console.error(`test failed: ${tested.TestResult.FunctionErrorMessage}`);
  process.exit(1);
}
await client.send(new PublishFunctionCommand({ Name: name, IfMatch: updated.ETag }));
