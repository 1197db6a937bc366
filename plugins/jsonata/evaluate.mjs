// Tarmac's JSONata evaluator for Step Functions states with QueryLanguage "JSONata"
// (emulator/services/stepfunctions/jsonata.h starts it, one process per engine, and talks to
// it over stdin/stdout, one JSON line each way).
//
// A request is {"t": TEMPLATE, "b": BINDINGS}: TEMPLATE is any JSON value, in which every
// string "{% EXPRESSION %}" is evaluated (at any depth) and everything else is kept;
// BINDINGS are the expression's variables ("states" is $states, the rest are the workflow's
// variables). The answer is {"v": RESULT}, or {"e": {"code", "message", "expression"}} when an
// expression fails or gives nothing (undefined): JSON has no undefined, and Step Functions
// treats that as an error too.
//
// The functions Step Functions adds ($partition, $range, $hash, $random with a seed, $uuid,
// $parse) are registered on every expression, and $eval is taken away, as Step Functions does.
// An expression that runs longer than TIME_LIMIT_MS or recurses deeper than DEPTH_LIMIT is
// stopped, so that one bad expression cannot hold the engine.

import crypto from 'node:crypto';
import readline from 'node:readline';
import jsonata from 'jsonata';

const TIME_LIMIT_MS = 5000;
const DEPTH_LIMIT = 1000;
const CACHE_LIMIT = 2000;

class QueryError extends Error {
    constructor(code, message, expression) {
        super(message);
        this.code = code;
        this.expression = expression;
    }
}

// A seeded generator for $random(seed): the same seed gives the same number.
function seededRandom(seed) {
    let h = 2166136261;
    for (const c of String(seed)) {
        h ^= c.codePointAt(0);
        h = Math.imul(h, 16777619);
    }
    h += 0x6d2b79f5;
    let t = h;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const HASHES = { 'MD5': 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

function fail(code, message) {
    throw { code, message };
}

function addStepFunctionsFunctions(expr) {
    expr.registerFunction('partition', (array, size) => {
        if (!Array.isArray(array)) fail('States.QueryEvaluationError', '$partition: the first argument must be an array');
        if (!Number.isInteger(size) || size <= 0) fail('States.QueryEvaluationError', '$partition: the chunk size must be a positive integer');
        const out = [];
        for (let i = 0; i < array.length; i += size) out.push(array.slice(i, i + size));
        return out;
    }, '<an:a>');
    expr.registerFunction('range', (start, end, step) => {
        if (step === 0) fail('States.QueryEvaluationError', '$range: the step must not be 0');
        const out = [];
        for (let v = start; step > 0 ? v <= end : v >= end; v += step) {
            out.push(v);
            if (out.length > 1000) fail('States.QueryEvaluationError', '$range: more than 1000 elements');
        }
        return out;
    }, '<nnn:a<n>>');
    expr.registerFunction('hash', (value, algorithm) => {
        const name = HASHES[algorithm];
        if (!name) fail('States.QueryEvaluationError', `$hash: unknown algorithm ${algorithm} (MD5, SHA-1, SHA-256, SHA-384 or SHA-512)`);
        return crypto.createHash(name).update(String(value)).digest('hex');
    }, '<ss:s>');
    expr.registerFunction('random', (seed) => (seed === undefined ? Math.random() : seededRandom(seed)), '<j?:n>');
    expr.registerFunction('uuid', () => crypto.randomUUID(), '<:s>');
    expr.registerFunction('parse', (text) => {
        try {
            return JSON.parse(text);
        } catch (e) {
            fail('States.QueryEvaluationError', `$parse: ${e.message}`);
        }
    }, '<s:j>');
    expr.registerFunction('eval', () => fail('States.QueryEvaluationError', '$eval is not supported by Step Functions'), '<x*:x>');
}

const cache = new Map();

function compile(text) {
    let expr = cache.get(text);
    if (expr) return expr;
    try {
        expr = jsonata(text);
    } catch (e) {
        throw new QueryError('States.QueryEvaluationError', `cannot be parsed: ${e.message}`, text);
    }
    addStepFunctionsFunctions(expr);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(text, expr);
    return expr;
}

// Stops a runaway expression: jsonata calls these two hooks around every step.
function timebox(expr, text) {
    const started = Date.now();
    let depth = 0;
    const check = () => {
        if (depth > DEPTH_LIMIT) throw new QueryError('States.QueryEvaluationError', `recursed deeper than ${DEPTH_LIMIT}`, text);
        if (Date.now() - started > TIME_LIMIT_MS) throw new QueryError('States.QueryEvaluationError', `ran longer than ${TIME_LIMIT_MS / 1000} seconds`, text);
    };
    expr.assign(Symbol.for('jsonata.__evaluate_entry'), () => { depth++; check(); });
    expr.assign(Symbol.for('jsonata.__evaluate_exit'), () => { depth--; check(); });
}

const EXPRESSION = /^\{%([\s\S]*)%\}$/;

async function evaluateTemplate(value, bindings) {
    if (typeof value === 'string') {
        const m = EXPRESSION.exec(value);
        if (!m) return value;
        const text = m[1];
        const expr = compile(text);
        timebox(expr, text);
        let result;
        try {
            result = await expr.evaluate(undefined, bindings);
        } catch (e) {
            if (e instanceof QueryError) throw e;
            const detail = e && e.message ? e.message : String(e);
            throw new QueryError(e && typeof e.code === 'string' && e.code.startsWith('States.') ? e.code : 'States.QueryEvaluationError', detail, text);
        }
        if (result === undefined) throw new QueryError('States.QueryEvaluationError', 'returned nothing (undefined)', text);
        // Sequences and other jsonata values become plain JSON.
        return JSON.parse(JSON.stringify(result));
    }
    if (Array.isArray(value)) {
        const out = [];
        for (const v of value) out.push(await evaluateTemplate(v, bindings));
        return out;
    }
    if (value !== null && typeof value === 'object') {
        const out = {};
        for (const [k, v] of Object.entries(value)) out[k] = await evaluateTemplate(v, bindings);
        return out;
    }
    return value;
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
    let answer;
    try {
        const request = JSON.parse(line);
        answer = { v: await evaluateTemplate(request.t, request.b || {}) };
    } catch (e) {
        answer = {
            e: {
                code: e && e.code ? String(e.code) : 'States.QueryEvaluationError',
                message: e && e.message ? String(e.message) : String(e),
                expression: e && e.expression !== undefined ? String(e.expression) : '',
            },
        };
    }
    process.stdout.write(JSON.stringify(answer) + '\n');
}
