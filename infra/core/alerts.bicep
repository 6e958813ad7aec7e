// What an administrator must hear about, as log alerts on Application Insights (queries in
// ../monitoring/alerts/, checked by test/infra against what the app emits), sent to an e-mail
// address by one action group.
param namePrefix string
param location string
param tags object = {}
param applicationInsightsId string
@description('Where alerts are e-mailed; empty: the rules still fire and show in the portal, nobody is mailed.')
param alertEmailAddress string

var alertRules = [
  {
    name: 'phonelink-offline'
    displayName: 'PHONE-LiNK integration offline'
    description: 'PHONE-LiNK refuses or cannot be reached: no presence push was accepted while pushes failed.'
    severity: 1
    frequency: 'PT15M'
    window: 'PT30M'
    query: loadTextContent('../monitoring/alerts/phonelink-offline.kql')
  }
  {
    name: 'app-not-running'
    displayName: 'Calendar presence app not running'
    description: 'The hourly maintenance has not run for two hours: the Function App is stopped or failing to start.'
    severity: 1
    frequency: 'PT1H'
    window: 'PT2H'
    query: loadTextContent('../monitoring/alerts/app-not-running.kql')
  }
  {
    name: 'updates-failing'
    displayName: 'Presence updates failing'
    description: 'Presence updates keep failing and are being retried (PHONE-LiNK unreachable or refusing the key, or the recalculation failing), or calendar-read invocations fail.'
    severity: 2
    frequency: 'PT15M'
    window: 'PT30M'
    query: loadTextContent('../monitoring/alerts/updates-failing.kql')
  }
  {
    name: 'updates-lost'
    displayName: 'Presence updates lost'
    description: 'A message failed five times and the host moved it to a -poison queue: the update waits for the hourly maintenance to re-run it, and is lost if it keeps failing.'
    severity: 1
    frequency: 'PT15M'
    window: 'PT15M'
    query: loadTextContent('../monitoring/alerts/updates-lost.kql')
  }
  {
    name: 'subscriptions-lapsing'
    displayName: 'Calendar subscriptions lapsing'
    description: 'Subscriptions lapsed before renewal or renewals failed: change notices are lost until the next full read.'
    severity: 2
    frequency: 'PT1H'
    window: 'PT2H'
    query: loadTextContent('../monitoring/alerts/subscriptions-lapsing.kql')
  }
  {
    name: 'credentials-expiring'
    displayName: 'Graph credential expires within 30 days'
    description: 'The Graph client secret or certificate expires soon: renew it and store the new one (docs/connect-a-tenant.md).'
    severity: 2
    frequency: 'P1D'
    window: 'P1D'
    query: loadTextContent('../monitoring/alerts/credentials-expiring.kql')
  }
]

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmailAddress)) {
  name: '${namePrefix}-administrators'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'presence'
    enabled: true
    emailReceivers: [
      {
        name: 'administrator'
        emailAddress: alertEmailAddress
        useCommonAlertSchema: true
      }
    ]
  }
}

resource rules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in alertRules: {
    name: '${namePrefix}-${rule.name}'
    location: location
    tags: tags
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [applicationInsightsId]
      evaluationFrequency: rule.frequency
      windowSize: rule.window
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      autoMitigate: true
      actions: {
        actionGroups: empty(alertEmailAddress) ? [] : [actionGroup.id]
      }
    }
  }
]

output alertRuleNames array = [for (rule, i) in alertRules: rules[i].name]
