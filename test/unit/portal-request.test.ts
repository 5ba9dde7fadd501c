/**
 * The checks of a REST session request (Educates' request/ parameters), without a server: what is accepted, and
 * the exact refusal for what is not.
 */
import { parseRequest } from '../../src/portal/api/environment.js';

const reserved = new Set(['educates', 'robot@educates']);

describe('parseRequest', () => {
  test("GIVEN Educates' parameters (and the legacy names) THEN they land in the session request", () => {
    const parsed = parseRequest(
      {
        redirect_url: 'https://lms.example.com/c',
        user: 'u-1',
        email: 'a@b.example',
        firstname: 'Ada',
        lastname: 'L',
        timeout: '90',
        analytics_url: 'http://hook.example/x',
      },
      { parameters: [{ name: 'GREETING', value: 'hi' }] },
      reserved,
    );
    expect(parsed).toEqual({
      user: 'u-1',
      newUser: false,
      session: undefined,
      timeout: 90,
      request: {
        indexUrl: 'https://lms.example.com/c',
        analyticsUrl: 'http://hook.example/x',
        email: 'a@b.example',
        firstName: 'Ada',
        lastName: 'L',
        parameters: { GREETING: 'hi' },
      },
    });
  });

  test('GIVEN no user THEN a new one with a UUID, and the default activation timeout', () => {
    const parsed = parseRequest({ index_url: 'http://x.example/' }, undefined, reserved);
    expect(parsed).toMatchObject({ newUser: true, timeout: 60, user: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  test.each([
    [{}, undefined, "'index_url' is required: the page the learner returns to when the session ends"],
    [{ index_url: 'javascript:alert(1)' }, undefined, '\'index_url\' ("javascript:alert(1)") must be an http or https URL'],
    [
      { index_url: 'http://x/', user: 'educates' },
      undefined,
      '\'user\' ("educates") is a staff or robot account; sessions are requested for learners only',
    ],
    [{ index_url: 'http://x/', timeout: '0' }, undefined, '\'timeout\' ("0") must be whole seconds from 1 to 86400'],
    [{ index_url: 'http://x/', email: 'x' }, undefined, '\'email\' ("x") must be an e-mail address such as ann@example.com'],
    [{ index_url: 'http://x/' }, [], 'the body must be a JSON object {"parameters": [{"name": …, "value": …}]}'],
    [{ index_url: 'http://x/' }, { parameters: [{ name: 'A', value: 1 }] }, "'parameters[0].value' must be a string of at most 4096 characters"],
  ])('GIVEN %j with body %j THEN refused: %s', (query, body, message) => {
    expect(parseRequest(query as Record<string, string>, body, reserved)).toEqual({ error: message });
  });
});
