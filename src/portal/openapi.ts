/**
 * The portal's HTTP interface as an OpenAPI 3.1 document, served at /openapi.json and written by hand, so that
 * it says what the API promises rather than what the code happens to do. A test checks it against the server
 * both ways (every documented operation exists, every route is documented) and validates real responses with
 * its schemas. Paths follow Educates' (trailing slashes included).
 */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const nullable = (type: string) => ({ type: [type, 'null'] });
const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });
const page = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });
const redirect = (description: string) => ({ description, headers: { Location: { schema: { type: 'string' } } } });
const error = (description: string) => json(ref('Error'), description);
const pathParam = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const query = (name: string, description: string, schema: object = { type: 'string' }, required = false) => ({
  name,
  in: 'query',
  required,
  description,
  schema,
});

const SESSION = pathParam('session', 'The session name, e.g. labs-k8s-fundamentals-s001.');
const ENV = pathParam('env', 'The workshop environment name, e.g. labs-k8s-fundamentals.');
const bearer = [{ bearer: [] }, { cookie: [] }];
const robotOnly = [{ bearer: [] }];
const dashboard = [{ bearer: [] }, { cookie: [] }, { sessionBasic: [] }];
const formBody = {
  required: true,
  content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties: { _csrf: { type: 'string' } }, required: ['_csrf'] } } },
};

const WORKSHOP_PROPERTIES = {
  name: { type: 'string' },
  title: { type: 'string' },
  description: { type: 'string' },
  vendor: { type: 'string' },
  authors: { type: 'array', items: { type: 'string' } },
  difficulty: { type: 'string' },
  duration: { type: 'string' },
  tags: { type: 'array', items: { type: 'string' } },
  labels: { type: 'object', additionalProperties: { type: 'string' } },
  logo: { type: 'string' },
  url: { type: 'string' },
};
const WORKSHOP_REQUIRED = Object.keys(WORKSHOP_PROPERTIES);

const schemas = {
  Error: {
    type: 'object',
    required: ['error', 'message'],
    additionalProperties: false,
    properties: { error: { type: 'string' }, message: { type: 'string' } },
  },
  Portal: {
    type: 'object',
    required: ['name', 'labels', 'uid', 'generation', 'url', 'sessions'],
    additionalProperties: false,
    properties: {
      name: { type: 'string' },
      labels: { type: 'object', additionalProperties: { type: 'string' } },
      uid: { type: 'string' },
      generation: { type: 'integer' },
      url: { type: 'string' },
      sessions: {
        type: 'object',
        required: ['maximum', 'registered', 'anonymous', 'allocated'],
        additionalProperties: false,
        properties: { maximum: { type: 'integer' }, registered: { type: 'integer' }, anonymous: { type: 'integer' }, allocated: { type: 'integer' } },
      },
    },
  },
  Workshop: { type: 'object', required: WORKSHOP_REQUIRED, additionalProperties: false, properties: WORKSHOP_PROPERTIES },
  EnvironmentState: { type: 'string', enum: ['STARTING', 'RUNNING', 'STOPPING', 'STOPPED'] },
  SessionState: { type: 'string', enum: ['STARTING', 'WAITING', 'RUNNING', 'STOPPING', 'STOPPED'] },
  PoolCounts: {
    type: 'object',
    required: ['name', 'state', 'duration', 'capacity', 'reserved', 'allocated', 'available'],
    properties: {
      name: { type: 'string' },
      state: ref('EnvironmentState'),
      duration: { type: 'integer', description: 'Session lifetime in seconds (0: no expiry).' },
      capacity: { type: 'integer' },
      reserved: { type: 'integer' },
      allocated: { type: 'integer' },
      available: { type: 'integer' },
    },
  },
  EnvironmentSession: {
    type: 'object',
    required: ['name', 'state', 'namespace', 'user', 'started'],
    additionalProperties: false,
    properties: {
      name: { type: 'string' },
      state: ref('SessionState'),
      namespace: { type: 'string' },
      user: nullable('string'),
      started: nullable('string'),
      expires: { type: 'string' },
      countdown: { type: 'integer' },
      extendable: { type: 'boolean' },
    },
  },
  Environment: {
    allOf: [ref('PoolCounts')],
    type: 'object',
    required: ['workshop'],
    unevaluatedProperties: false,
    properties: { workshop: ref('Workshop'), sessions: { type: 'array', items: ref('EnvironmentSession') } },
  },
  Environments: {
    type: 'object',
    required: ['portal', 'environments'],
    additionalProperties: false,
    properties: { portal: ref('Portal'), environments: { type: 'array', items: ref('Environment') } },
  },
  CatalogWorkshop: {
    type: 'object',
    required: [...WORKSHOP_REQUIRED, 'environment'],
    additionalProperties: false,
    properties: { ...WORKSHOP_PROPERTIES, environment: { allOf: [ref('PoolCounts')], unevaluatedProperties: false } },
  },
  Workshops: {
    type: 'object',
    required: ['portal', 'workshops'],
    additionalProperties: false,
    properties: { portal: ref('Portal'), workshops: { type: 'array', items: ref('CatalogWorkshop') } },
  },
  SessionRequest: {
    type: 'object',
    required: ['name', 'session', 'user', 'url', 'namespace', 'workshop', 'environment'],
    additionalProperties: false,
    properties: {
      name: { type: 'string' },
      session: { type: 'string', deprecated: true },
      user: { type: 'string' },
      url: { type: 'string', description: 'Relative activation link: /workshops/session/<s>/activate/?token=…&index_url=…' },
      namespace: { type: 'string' },
      workshop: { type: 'string' },
      environment: { type: 'string' },
    },
  },
  RequestBody: {
    type: 'object',
    properties: {
      parameters: {
        type: 'array',
        maxItems: 100,
        items: { type: 'object', required: ['name', 'value'], properties: { name: { type: 'string' }, value: { type: 'string' } } },
      },
    },
  },
  UserSession: {
    type: 'object',
    required: ['name', 'namespace', 'workshop', 'environment', 'started'],
    additionalProperties: false,
    properties: {
      name: { type: 'string' },
      namespace: { type: 'string' },
      workshop: { type: 'string' },
      environment: { type: 'string' },
      started: nullable('string'),
      expires: { type: 'string' },
      countdown: { type: 'integer' },
      extendable: { type: 'boolean' },
    },
  },
  UserSessions: {
    type: 'object',
    required: ['user', 'sessions'],
    additionalProperties: false,
    properties: { user: { type: 'string' }, sessions: { type: 'array', items: ref('UserSession') } },
  },
  Schedule: {
    type: 'object',
    required: ['status', 'started', 'expires', 'expiring'],
    additionalProperties: false,
    properties: {
      status: ref('SessionState'),
      started: nullable('string'),
      expires: nullable('string'),
      expiring: { type: 'boolean' },
      countdown: { type: 'integer' },
      extendable: { type: 'boolean' },
    },
  },
  Extension: {
    type: 'object',
    required: ['status', 'started', 'expires', 'expiring', 'extended'],
    additionalProperties: false,
    properties: {
      status: ref('SessionState'),
      started: nullable('string'),
      expires: nullable('string'),
      expiring: { type: 'boolean' },
      countdown: { type: 'integer' },
      extendable: { type: 'boolean' },
      extended: { type: 'boolean' },
      message: { type: 'string', description: 'Why the session was not extended.' },
    },
  },
  Termination: {
    type: 'object',
    required: ['started', 'expires'],
    additionalProperties: false,
    properties: { started: nullable('string'), expires: { type: 'string' } },
  },
  SessionConfig: {
    type: 'object',
    required: ['url', 'password'],
    additionalProperties: false,
    properties: { url: { type: 'string' }, password: { type: 'string' } },
  },
  Authorization: {
    type: 'object',
    required: ['owner', 'user', 'staff'],
    additionalProperties: false,
    properties: { owner: nullable('string'), user: { type: 'string' }, staff: { type: 'boolean' } },
  },
  Activity: {
    type: 'object',
    required: ['phase'],
    additionalProperties: false,
    properties: { phase: { type: 'string' }, expires: { type: 'string' } },
  },
  Event: {
    type: 'object',
    required: ['event'],
    properties: { event: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, data: { type: 'object' } } } },
  },
  Progress: {
    type: 'object',
    required: ['phase', 'step', 'ready', 'ended', 'url', 'expires', 'countdown', 'extendable'],
    additionalProperties: false,
    properties: {
      phase: { type: 'string' },
      step: { type: 'integer', minimum: 0, maximum: 3 },
      ready: { type: 'boolean' },
      ended: { type: 'boolean' },
      url: nullable('string'),
      expires: nullable('string'),
      countdown: nullable('integer'),
      extendable: { type: 'boolean' },
    },
  },
  RuntimeSession: {
    type: 'object',
    required: ['name', 'environment', 'workshop', 'phase', 'history'],
    properties: {
      name: { type: 'string' },
      environment: { type: 'string' },
      workshop: { type: 'string' },
      phase: { type: 'string' },
      reason: { type: 'string' },
      user: { type: 'string' },
      url: { type: 'string' },
      allocatedAt: { type: 'string' },
      readyAt: { type: 'string' },
      activatedAt: { type: 'string' },
      expiresAt: { type: 'string' },
      deadlineAt: { type: 'string' },
      history: {
        type: 'array',
        items: {
          type: 'object',
          required: ['phase', 'time'],
          properties: { phase: { type: 'string' }, time: { type: 'string' }, reason: { type: 'string' } },
        },
      },
    },
  },
  Token: {
    type: 'object',
    required: ['access_token', 'token_type', 'expires_in', 'scope'],
    properties: {
      access_token: { type: 'string' },
      token_type: { type: 'string' },
      expires_in: { type: 'integer' },
      scope: { type: 'string' },
      refresh_token: { type: 'string' },
    },
  },
};

const sessionErrors = {
  401: error('Neither signed in nor a valid token (or Basic credentials).'),
  403: error('The session belongs to another learner.'),
  404: error('No such session.'),
};

export function openApiDocument(serverUrl = '/') {
  return {
    openapi: '3.1.0',
    info: {
      title: 'cdk8s-workshops training portal',
      version: '1.0.0',
      description:
        'The training portal of cdk8s-workshops: Educates-compatible REST API, learner and admin pages, and the runtime operations. ' +
        'Errors are JSON {error, message}.',
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'OAuth2 access token from POST /oauth2/token/.' },
        cookie: { type: 'apiKey', in: 'cookie', name: '<portal>-session', description: 'The signed-in browser.' },
        sessionBasic: { type: 'http', scheme: 'basic', description: 'A session dashboard: <session>:<CONFIG_PASSWORD>.' },
      },
      schemas,
    },
    paths: {
      '/healthz': {
        get: {
          tags: ['operations'],
          summary: 'Liveness',
          responses: { 200: json({ type: 'object', properties: { ok: { type: 'boolean' } } }, 'Alive.') },
        },
      },
      '/readyz': {
        get: {
          tags: ['operations'],
          summary: 'Readiness (caches filled)',
          responses: {
            200: json({ type: 'object', properties: { ready: { const: true } } }, 'Ready.'),
            503: json({ type: 'object', properties: { ready: { const: false } } }, 'Not yet.'),
          },
        },
      },
      '/metrics': {
        get: {
          tags: ['operations'],
          summary: "Prometheus metrics (staff and robots; Prometheus scrapes with the robot's client_credentials)",
          security: bearer,
          responses: {
            200: { description: 'Metrics in the Prometheus text format.', content: { 'text/plain': { schema: { type: 'string' } } } },
            401: error('Not authenticated.'),
            403: error('Not staff or robot.'),
          },
        },
      },
      '/openapi.json': {
        get: { tags: ['operations'], summary: 'This document', responses: { 200: json({ type: 'object' }, 'The OpenAPI document.') } },
      },
      '/static/{file}': {
        get: {
          tags: ['web'],
          summary: 'Style sheet and scripts of the pages',
          parameters: [pathParam('file', 'portal.css or session.js')],
          responses: { 200: { description: 'The asset.' }, 404: { description: 'No such asset.' } },
        },
      },
      '/static/shared/{file}': {
        get: {
          tags: ['web'],
          summary: "Modules the pages' scripts share",
          parameters: [pathParam('file', 'actions.js')],
          responses: { 200: { description: 'The script.' }, 404: { description: 'No such script.' } },
        },
      },
      '/favicon.ico': {
        get: {
          tags: ['web'],
          summary: "The portal's icon, where browsers ask for it on their own (an SVG)",
          responses: { 200: { description: 'The icon.', content: { 'image/svg+xml': { schema: { type: 'string' } } } } },
        },
      },
      '/runtime/allocate': {
        post: {
          tags: ['runtime'],
          summary: 'Allocate a session for a user (staff and robots)',
          security: bearer,
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['environment', 'user'],
                  properties: {
                    environment: { type: 'string' },
                    user: { type: 'string' },
                    anonymous: { type: 'boolean' },
                    activationSeconds: { type: 'integer' },
                  },
                },
              },
            },
          },
          responses: {
            200: json(
              {
                type: 'object',
                required: ['source', 'session'],
                properties: { source: { enum: ['existing', 'pool', 'created'] }, session: ref('RuntimeSession') },
              },
              'The session.',
            ),
            400: error('Malformed body.'),
            401: error('Not authenticated.'),
            403: error('Not staff or robot, or the user is at their limit.'),
            404: error('No such environment.'),
            503: error('No session available.'),
          },
        },
      },
      '/runtime/sessions/{name}': {
        get: {
          tags: ['runtime'],
          summary: 'A session as the runtime sees it',
          security: bearer,
          parameters: [pathParam('name', 'Session name.')],
          responses: {
            200: json(ref('RuntimeSession'), 'The session.'),
            401: error('Not authenticated.'),
            403: error('Not staff or robot.'),
            404: error('No such session.'),
          },
        },
      },
      ...Object.fromEntries(
        ['activity', 'extend', 'terminate'].map((op) => [
          `/runtime/sessions/{name}/${op}`,
          {
            post: {
              tags: ['runtime'],
              summary: `Session ${op} (staff and robots)`,
              security: bearer,
              parameters: [pathParam('name', 'Session name.')],
              responses: {
                200: json(ref('RuntimeSession'), 'The session after the change.'),
                401: error('Not authenticated.'),
                403: error('Not staff or robot.'),
                404: error('No such session.'),
                ...(op === 'extend' ? { 409: error('Not extendable now.') } : {}),
              },
            },
          },
        ]),
      ),
      '/': {
        get: {
          tags: ['web'],
          summary: 'Home: the catalog (or sign-in / access code first)',
          responses: { 302: redirect('To the catalog, sign-in or access-code page.') },
        },
      },
      '/workshops/catalog/': {
        get: {
          tags: ['web'],
          summary: 'Catalog page',
          parameters: [
            query('notification', 'Banner to show.', {
              enum: ['session-deleted', 'workshop-invalid', 'session-unavailable', 'session-invalid', 'startup-timeout'],
            }),
          ],
          responses: { 200: page('The catalog.'), 302: redirect('To sign in.') },
        },
      },
      '/workshops/environment/{env}/': {
        get: {
          tags: ['web'],
          summary: 'Confirm starting a workshop',
          parameters: [ENV],
          responses: { 200: page('A Start form.'), 302: redirect('To sign in.'), 303: redirect('To the existing session, or the catalog.') },
        },
        post: {
          tags: ['web'],
          summary: 'Start a workshop (form)',
          parameters: [ENV],
          requestBody: formBody,
          responses: {
            303: redirect('To the session page, or the catalog with a notification.'),
            302: redirect('To sign in.'),
            403: page('Invalid form token, or the user is at their limit.'),
            429: error('Too many requests.'),
          },
        },
      },
      '/workshops/environment/{env}/create/': {
        get: {
          tags: ['web'],
          summary: 'Anonymous entry: a guest identity and a session at once (portals with anonymous registration)',
          parameters: [ENV, query('index_url', 'Where the learner returns when the session ends.')],
          responses: {
            303: redirect('To the session page, or the catalog with a notification.'),
            404: page('This portal needs accounts.'),
            429: error('Too many requests.'),
          },
        },
      },
      '/workshops/session/{session}/': {
        get: {
          tags: ['web'],
          summary: 'Session page: progress, then into the dashboard; time left, extend, end',
          parameters: [SESSION, query('enter', '1: go into the dashboard as soon as the session is ready.')],
          responses: {
            200: page('Progress or the session controls.'),
            302: redirect('To sign in.'),
            303: redirect('Into the dashboard, or to the catalog (session-invalid).'),
            403: page("Another learner's session."),
            410: page('The session has ended.'),
          },
        },
      },
      '/workshops/session/{session}/progress/': {
        get: {
          tags: ['web'],
          summary: 'What the session page polls',
          security: bearer,
          parameters: [SESSION],
          responses: {
            200: json(ref('Progress'), 'Progress.'),
            302: redirect('To sign in.'),
            401: error('Not signed in.'),
            403: error("Another learner's session."),
            404: error('No such session.'),
          },
        },
      },
      '/workshops/session/{session}/delete/': {
        get: {
          tags: ['web'],
          summary: 'Confirm ending the session',
          parameters: [SESSION, query('notification', 'session-deleted or startup-timeout')],
          responses: {
            200: page('A confirmation form.'),
            302: redirect('To sign in.'),
            303: redirect('To the catalog (session-invalid).'),
            403: page("Another learner's session."),
          },
        },
        post: {
          tags: ['web'],
          summary: 'End the session (form)',
          parameters: [SESSION],
          requestBody: formBody,
          responses: {
            303: redirect('To the catalog or the index URL with notification=session-deleted.'),
            302: redirect('To sign in.'),
            403: page("Another learner's session, or an invalid form token."),
          },
        },
      },
      '/workshops/session/{session}/activate/': {
        get: {
          tags: ['web'],
          summary: 'Open a session requested through the REST API: signs the browser in as its learner',
          parameters: [
            SESSION,
            query('token', 'The one-time token of the request/ answer.', { type: 'string' }, true),
            query('index_url', "The learner's return page."),
          ],
          responses: {
            303: redirect('To the session page (or index_url?notification=session-invalid).'),
            403: page('Invalid, used or expired token.'),
          },
        },
      },
      '/admin/': {
        get: {
          tags: ['admin'],
          summary: 'Environments and sessions (staff)',
          parameters: [query('notice', 'Result of an action.')],
          responses: { 200: page('The admin page.'), 302: redirect('To sign in.'), 403: page('Staff only.') },
        },
      },
      '/admin/sessions/{session}/extend/': {
        post: {
          tags: ['admin'],
          summary: 'Extend a session (staff, form)',
          parameters: [SESSION],
          requestBody: formBody,
          responses: {
            303: redirect('Back to /admin/ with the result.'),
            302: redirect('To sign in.'),
            403: page('Staff only, or an invalid form token.'),
          },
        },
      },
      '/admin/sessions/{session}/terminate/': {
        post: {
          tags: ['admin'],
          summary: 'End a session (staff, form)',
          parameters: [SESSION],
          requestBody: formBody,
          responses: {
            303: redirect('Back to /admin/ with the result.'),
            302: redirect('To sign in.'),
            403: page('Staff only, or an invalid form token.'),
          },
        },
      },
      '/workshops/catalog/environments/': {
        get: {
          tags: ['catalog'],
          summary: 'Environments of the portal',
          security: bearer,
          parameters: [
            query('sessions', 'Robots: include sessions.', { enum: ['true', '1', 'false', '0'] }),
            query('state', 'Robots: environment states (repeatable; default running).', {
              type: 'array',
              items: { enum: ['starting', 'running', 'stopping', 'stopped', 'STARTING', 'RUNNING', 'STOPPING', 'STOPPED'] },
            }),
            query('name', 'Workshop names (repeatable).', { type: 'array', items: { type: 'string' } }),
            {
              name: 'labels',
              in: 'query',
              style: 'deepObject',
              explode: true,
              description: 'labels[<key>]=<value>: workshops with that label.',
              schema: { type: 'object', additionalProperties: { type: 'string' } },
            },
          ],
          responses: { 200: json(ref('Environments'), 'The environments.'), 400: error('A bad filter.'), 401: error('The catalog is private.') },
        },
      },
      '/workshops/catalog/workshops/': {
        get: {
          tags: ['catalog'],
          summary: 'Workshops of the portal (running environments)',
          security: bearer,
          responses: { 200: json(ref('Workshops'), 'The workshops.'), 401: error('The catalog is private.') },
        },
      },
      '/workshops/environment/{env}/request/': Object.fromEntries(
        ['get', 'post'].map((method) => [
          method,
          {
            tags: ['environment'],
            summary: 'Request a session for a learner (robots)',
            security: robotOnly,
            parameters: [
              ENV,
              query('index_url', 'Required: where the learner returns (legacy redirect_url).', { type: 'string', format: 'uri' }),
              query('user', "The learner's id (default: a new UUID)."),
              query('email', "The learner's e-mail."),
              query('first_name', 'First name (legacy firstname).'),
              query('last_name', 'Last name (legacy lastname).'),
              query('session', 'Only return this existing session, never create one.'),
              query('timeout', 'Seconds to activate (default 60).', { type: 'integer', minimum: 1, maximum: 86400 }),
              query('analytics_url', "A webhook for this session's events.", { type: 'string', format: 'uri' }),
            ],
            ...(method === 'post' ? { requestBody: { required: false, content: { 'application/json': { schema: ref('RequestBody') } } } } : {}),
            responses: {
              200: json(ref('SessionRequest'), 'The session and its activation link.'),
              400: error('A bad parameter.'),
              401: error('No robot token.'),
              403: error('Not a robot, or no such environment.'),
              429: error('Too many requests.'),
              503: error('No session available, or the session cannot be reacquired.'),
            },
          },
        ]),
      ),
      '/workshops/environment/{env}/status/': {
        get: {
          tags: ['environment'],
          summary: 'An environment (robots)',
          security: robotOnly,
          parameters: [ENV, query('sessions', 'Include sessions.', { enum: ['true', '1', 'false', '0'] })],
          responses: {
            200: json(ref('Environment'), 'The environment.'),
            401: error('No robot token.'),
            403: error('Not a robot.'),
            404: error('No such environment.'),
          },
        },
      },
      '/workshops/user/{user}/sessions/': {
        get: {
          tags: ['environment'],
          summary: "A learner's sessions (robots)",
          security: robotOnly,
          parameters: [pathParam('user', "The learner's id.")],
          responses: { 200: json(ref('UserSessions'), 'The sessions.'), 401: error('No robot token.'), 403: error('Not a robot.') },
        },
      },
      '/workshops/session/{session}/schedule/': {
        get: {
          tags: ['session'],
          summary: 'Timers of a session',
          security: dashboard,
          parameters: [SESSION],
          responses: { 200: json(ref('Schedule'), 'The timers.'), ...sessionErrors },
        },
      },
      '/workshops/session/{session}/extend/': {
        get: {
          tags: ['session'],
          summary: 'Extend a session if the rules allow it (token or dashboard credentials; a cookie alone is refused: browsers POST the form)',
          security: [{ bearer: [] }, { sessionBasic: [] }],
          parameters: [SESSION],
          responses: { 200: json(ref('Extension'), 'The timers, and whether it was extended.'), ...sessionErrors },
        },
        post: {
          tags: ['web'],
          summary: 'Extend a session (form)',
          parameters: [SESSION],
          requestBody: formBody,
          responses: {
            303: redirect('Back to the session page with the result.'),
            302: redirect('To sign in.'),
            403: page("Another learner's session, or an invalid form token."),
          },
        },
      },
      '/workshops/session/{session}/terminate/': {
        get: {
          tags: ['session'],
          summary: 'End a session (token only; browsers POST /workshops/session/{session}/delete/)',
          security: robotOnly,
          parameters: [SESSION],
          responses: { 200: json(ref('Termination'), 'Ending.'), 400: error('Not allocated to a learner.'), ...sessionErrors },
        },
      },
      '/workshops/session/{session}/config/': {
        get: {
          tags: ['session'],
          summary: "The session's URL and config password (staff and robots; never its learner)",
          security: bearer,
          parameters: [SESSION],
          responses: { 200: json(ref('SessionConfig'), 'URL and password.'), ...sessionErrors },
        },
      },
      '/workshops/session/{session}/authorize/': {
        get: {
          tags: ['session'],
          summary: "Whether the token's user may use the session (dashboards)",
          security: bearer,
          parameters: [SESSION],
          responses: { 200: json(ref('Authorization'), 'Owner, user, staff.'), ...sessionErrors },
        },
      },
      '/workshops/session/{session}/event/': {
        post: {
          tags: ['session'],
          summary: 'Forward an analytics event',
          security: dashboard,
          parameters: [SESSION],
          requestBody: { required: true, content: { 'application/json': { schema: ref('Event') } } },
          responses: { 200: json({ type: 'object', additionalProperties: false }, 'Forwarded.'), 400: error('Malformed event.'), ...sessionErrors },
        },
      },
      '/workshops/session/{session}/activity/': {
        post: {
          tags: ['session'],
          summary: "The dashboard reports the learner's activity",
          security: [{ sessionBasic: [] }],
          parameters: [SESSION],
          responses: {
            200: json(ref('Activity'), 'The phase and expiry.'),
            401: error('Wrong or missing session credentials.'),
            404: error('No such session.'),
          },
        },
      },
      '/oauth2/token/': {
        post: {
          tags: ['oauth2'],
          summary: 'OAuth2 token endpoint (password, refresh_token, authorization_code grants)',
          requestBody: {
            required: true,
            content: {
              'application/x-www-form-urlencoded': {
                schema: { type: 'object', required: ['grant_type'], properties: { grant_type: { type: 'string' } } },
              },
            },
          },
          responses: {
            200: json(ref('Token'), 'A token.'),
            400: json({ type: 'object' }, 'OAuth2 error.'),
            401: json({ type: 'object' }, 'Bad client credentials.'),
          },
        },
      },
      '/oauth2/authorize/': {
        get: {
          tags: ['oauth2'],
          summary: 'Authorization-code flow for session dashboards',
          parameters: [
            query('response_type', 'code', { type: 'string' }, true),
            query('client_id', 'The session name.', { type: 'string' }, true),
            query('redirect_uri', "The dashboard's /oauth_callback.", { type: 'string' }, true),
            query('state', 'Opaque.'),
          ],
          responses: {
            302: redirect('To the dashboard with a code, or to sign in.'),
            400: page('Bad request.'),
            403: page("Not the session's learner."),
            404: page('No such session.'),
          },
        },
      },
      '/oauth2/revoke-token/': {
        post: {
          tags: ['oauth2'],
          summary: 'Revoke a token',
          requestBody: {
            required: true,
            content: {
              'application/x-www-form-urlencoded': { schema: { type: 'object', required: ['token'], properties: { token: { type: 'string' } } } },
            },
          },
          responses: { 200: { description: 'Revoked (or unknown).' } },
        },
      },
    },
  };
}
