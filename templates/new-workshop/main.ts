// The cdk8s app of cdk8s.yaml: synthesizes the workshop and its portal into dist/ (or $CDK8S_OUTDIR).
import { defineApp } from './workshop.js';

try {
  defineApp().synth();
} catch (error) {
  console.error(`synthesis failed:\n${(error as Error).message}`);
  process.exit(1);
}
