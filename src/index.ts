export * from './constructs/index.js';
