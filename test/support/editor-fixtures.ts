/**
 * What the editor tests (editor.test.ts under podman, editor-real-node.test.ts on the real node) write into the
 * instructions and the learner's home: clickable editor action blocks and the YAML file the actions edit.
 */

/** A clickable `editor:<name>` action block in the instructions, titled so the test can find it. */
export function editorAction(name: string, title: string, fields: string): string {
  return `\`\`\`editor:${name}\ntitle: ${title}\n${fields.trim()}\n\`\`\`\n\n`;
}

/** The Deployment the insert-value-into-yaml actions edit (a comment included: it must survive the edit). */
export const DEPLOYMENT_YAML = [
  'apiVersion: apps/v1',
  'kind: Deployment',
  'metadata:',
  '  name: web # the application',
  'spec:',
  '  template:',
  '    spec:',
  '      containers:',
  '      - name: web',
  '        image: nginx:latest',
  '',
].join('\n');
