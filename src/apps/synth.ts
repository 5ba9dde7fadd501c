// `cdk8s synth` entry point: synthesizes the examples into dist/ (or $CDK8S_OUTDIR).
import { defineExamples } from '../../examples/index.js';
import { WorkshopApp } from '../constructs/index.js';

const app = new WorkshopApp();
defineExamples(app);
try {
  app.synth();
} catch (error) {
  console.error(`synthesis failed:\n${(error as Error).message}`);
  process.exit(1);
}
